//! The specs and the drawing, natively.

use super::*;

#[test]
fn visible_points_interpolate_at_the_edges() {
    let v = [0.0, 10.0, 20.0, 30.0];
    let p = visible_points(&v, 0.5, 2.5);
    assert_eq!(p, vec![(0.5, 5.0), (1.0, 10.0), (2.0, 20.0), (2.5, 25.0)]);
    assert_eq!(visible_points(&v, 5.0, 9.0), vec![]);
    assert_eq!(visible_points(&v, -3.0, 1.0), vec![(0.0, 0.0), (1.0, 10.0)]);
    assert_eq!(visible_points(&[], 0.0, 1.0), vec![]);
    assert_eq!(visible_points(&[7.0], 0.0, 10.0), vec![(0.0, 7.0)]);
}

#[test]
fn bars_clip_to_the_window() {
    let v = [1.0, 2.0, 3.0];
    assert_eq!(
        bar_buckets(&v, 0.5, 2.25),
        vec![(0.5, 1.0, 1.0), (1.0, 2.0, 2.0), (2.0, 2.25, 3.0)]
    );
    assert_eq!(bar_buckets(&v, 0.0, 10.0).len(), 3);
}

#[test]
fn tick_labels_read_well() {
    assert_eq!(format_with_step(0.5, 0.5), "0.5");
    assert_eq!(format_with_step(250.0, 50.0), "250");
    assert_eq!(format_with_step(150_000.0, 50_000.0), "150k");
    assert_eq!(format_with_step(12_500.0, 2_500.0), "12.5k");
    assert_eq!(format_with_step(4_400_000.0, 200_000.0), "4.4M");
    assert_eq!(format_with_step(4_000_000.0, 1_000_000.0), "4M");
    assert_eq!(format_with_step(0.1, 0.1), "0.1");
    assert_eq!(format_with_step(0.75, 0.25), "0.75");
    assert_eq!(format_with_step(0.0, 0.2), "0");
    assert_eq!(format_tick(5_000.0, 5_000.0, 20_000.0), "5k");
    assert_eq!(format_tick(0.0, 5_000.0, 20_000.0), "0");
}

#[test]
fn marker_labels_never_overlap() {
    // Boxes of placed labels: (left, right, row).
    fn check(markers: &[(i32, i32)], left: i32, right: i32) -> usize {
        let placed = layout_marker_labels(markers, left, right, MARKER_ROWS);
        assert_eq!(placed.len(), markers.len());
        let boxes: Vec<(i32, i32, usize)> = placed
            .iter()
            .zip(markers)
            .filter_map(|(p, (_, w))| p.map(|(lx, row)| (lx, lx + w, row)))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.0 >= left && a.1 <= right, "{a:?} outside {left}..{right}");
            assert!(a.2 < MARKER_ROWS);
            for b in &boxes[i + 1..] {
                assert!(
                    a.2 != b.2 || a.1 + MARKER_GAP <= b.0 || b.1 + MARKER_GAP <= a.0,
                    "labels {a:?} and {b:?} overlap"
                );
            }
        }
        boxes.len()
    }
    // The incident's error-rate chart at 480 px: the rollout, DNS
    // rejects and two waves of deletions within 20 px.
    let dense = [(120, 34), (126, 58), (131, 76), (140, 76)];
    assert_eq!(check(&dense, 40, 470), 3, "three rows, the fourth left out");
    // Markers near the right edge turn their labels left, where they
    // must not cover a label already placed further left.
    let edge = [(400, 60), (440, 50), (455, 70), (462, 30)];
    check(&edge, 40, 470);
    // A pseudo-random crowd (a fixed LCG), narrow and wide plots.
    let mut r: u64 = 7;
    let mut next = |m: u64| {
        r = r
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((r >> 33) % m) as i32
    };
    for _ in 0..500 {
        let (left, right) = (30 + next(30), 200 + next(900));
        let mut xs: Vec<i32> = (0..1 + next(12))
            .map(|_| left + next((right - left) as u64))
            .collect();
        xs.sort_unstable();
        let markers: Vec<(i32, i32)> = xs.iter().map(|&x| (x, 20 + next(80))).collect();
        check(&markers, left, right);
    }
    // Spread out, every label is shown on the first row.
    let apart = [(50, 40), (150, 40), (250, 40)];
    let placed = layout_marker_labels(&apart, 40, 470, MARKER_ROWS);
    assert!(
        placed.iter().all(|p| matches!(p, Some((_, 0)))),
        "{placed:?}"
    );
}

#[test]
fn nice_steps() {
    assert_eq!(nice_step(0.3), 0.5);
    assert_eq!(nice_step(23.0), 25.0);
    assert_eq!(nice_step(60.0), 100.0);
    assert_eq!(nice_linear_range(0.0, 137_000.0, 4), (0.0, 150_000.0));
}

#[test]
fn theme_colours_stand_apart() {
    for t in [Theme::LIGHT, Theme::DARK] {
        let special = [
            t.background,
            t.text,
            t.grid,
            t.axis,
            t.threshold,
            t.marker,
            t.cursor,
        ];
        for c in t.palette {
            assert!(!special.contains(&c), "{} palette clashes", t.name);
        }
        for (i, a) in special.iter().enumerate() {
            for b in &special[i + 1..] {
                assert_ne!(a, b, "{}", t.name);
            }
        }
    }
}
