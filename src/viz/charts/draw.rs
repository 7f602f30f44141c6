//! Drawing one spec on any plotters backend.

use super::*;
use crate::format::sim_time;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) const PAD: i32 = 6;
pub(super) const TITLE_PX: f64 = 15.0;
pub(super) const LABEL_PX: f64 = 11.0;
pub(super) const ROW_H: i32 = 19;
pub(super) const X_LABELS_H: i32 = 18;

pub(super) fn font(size: f64) -> FontDesc<'static> {
    (FontFamily::SansSerif, size).into_font()
}

pub(super) fn text_style(size: f64, c: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).color(&c).pos(Pos::new(h, v))
}

/// Draws `spec` on `area` (the whole area: background, header with title,
/// unit and legend, axes, grid, series, thresholds, markers, cursor) and
/// returns where the plot is, to map the mouse back to time.
///
/// Errors are the backend's, as text; an area too small to hold a plot is an
/// error too.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    theme: &Theme,
) -> Result<ChartGeometry, String> {
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (bx, by) = area.get_base_pixel();
    area.fill(&theme.background).map_err(e)?;
    let (from, to) = spec.visible_window();

    // Header: title, y label, legend, flowing onto more rows if needed.
    let header_h = draw_header(area, spec, theme, w)?;

    // Plot rectangle (area-relative), y ticks first: their labels' width
    // decides where the plot starts.
    let top = header_h + 4;
    let bottom = h - X_LABELS_H - 2;
    if bottom - top < 20 {
        return Err(format!("chart area {w}×{h} px too small for a plot"));
    }
    let n_ticks = ((bottom - top) / 40).clamp(2, 8) as usize;
    let (ylo, yhi) = y_range_for(spec, n_ticks);
    let y_ticks: Vec<(f64, String)> = if spec.log_y {
        // Whole decades inside the range (a fixed range may not start on one).
        let l = (ylo.log10() - 1e-9).ceil() as i32;
        let hh = (yhi.log10() + 1e-9).floor() as i32;
        let every = ((hh - l).max(0) as usize).div_ceil(n_ticks.max(1)).max(1);
        (l..=hh)
            .filter(|k| (k - l) as usize % every == 0)
            .map(|k| {
                let v = 10f64.powi(k);
                (v, format_with_step(v, v))
            })
            .collect()
    } else {
        let (ticks, step) = linear_ticks(ylo, yhi, n_ticks);
        let largest = ticks.iter().map(|v| v.abs()).fold(0.0, f64::max);
        ticks
            .into_iter()
            .map(|v| (v, format_tick(v, step, largest)))
            .collect()
    };
    let label_style = text_style(LABEL_PX, theme.text, HPos::Right, VPos::Center);
    let mut label_w = 0;
    for (_, s) in &y_ticks {
        let (tw, _) = area.estimate_text_size(s, &label_style).map_err(e)?;
        label_w = label_w.max(tw as i32);
    }
    let left = PAD + label_w + 6;
    let right = w - PAD - 4;
    if right - left < 20 {
        return Err(format!("chart area {w}×{h} px too small for a plot"));
    }
    let geo = ChartGeometry {
        left: bx + left,
        right: bx + right,
        top: by + top,
        bottom: by + bottom,
        window: (from, to),
        y_range: (ylo, yhi),
        log_y: spec.log_y,
    };
    // Area-relative pixel of a time / value.
    let px = |t: f64| (geo.x_of(t) - f64::from(bx)).round() as i32;
    let py = |v: f64| (geo.y_of(v) - f64::from(by)).round() as i32;

    // Grid and y labels.
    for (v, s) in &y_ticks {
        let y = py(*v);
        area.draw(&PathElement::new(
            vec![(left, y), (right, y)],
            theme.grid.stroke_width(1),
        ))
        .map_err(e)?;
        area.draw(&Text::new(s.clone(), (left - 5, y), label_style.clone()))
            .map_err(e)?;
    }
    // Time grid and labels.
    let step = time_step(to - from, f64::from(right - left), 64.0);
    let x_label = text_style(LABEL_PX, theme.text, HPos::Center, VPos::Top);
    let mut k = (from / step).ceil();
    while k * step <= to + 1e-9 {
        let t = k * step;
        let x = px(t);
        area.draw(&PathElement::new(
            vec![(x, top), (x, bottom)],
            theme.grid.stroke_width(1),
        ))
        .map_err(e)?;
        area.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + 3)],
            theme.axis.stroke_width(1),
        ))
        .map_err(e)?;
        let s = sim_time(t);
        let (tw, _) = area.estimate_text_size(&s, &x_label).map_err(e)?;
        // Keep the first and last labels inside the area.
        let half = tw as i32 / 2;
        let cx = x.clamp(half + 1, (w - half - 1).max(half + 1));
        area.draw(&Text::new(s, (cx, bottom + 4), x_label.clone()))
            .map_err(e)?;
        k += 1.0;
    }

    // Area fills and bars underneath every line.
    let base = bottom;
    for s in &spec.series {
        let c = theme.colour(s.hue);
        match s.style {
            SeriesStyle::Area => {
                let pts: Vec<(i32, i32)> = visible_points(&s.values, from, to)
                    .into_iter()
                    .map(|(t, v)| (px(t), py(v)))
                    .collect();
                if let (Some(first), Some(last)) = (pts.first().copied(), pts.last().copied()) {
                    let mut poly = pts;
                    poly.push((last.0, base));
                    poly.push((first.0, base));
                    area.draw(&Polygon::new(poly, c.mix(0.22).filled()))
                        .map_err(e)?;
                }
            }
            SeriesStyle::Bars => {
                let outline = bar_outline(&s.values, from, to, &px, &py);
                if let (Some(first), Some(last)) =
                    (outline.first().copied(), outline.last().copied())
                {
                    let mut poly = outline;
                    poly.push((last.0, base));
                    poly.push((first.0, base));
                    area.draw(&Polygon::new(poly, c.mix(0.55).filled()))
                        .map_err(e)?;
                }
            }
            SeriesStyle::Line | SeriesStyle::Dashed => {}
        }
    }

    // Thresholds.
    let th_label = text_style(LABEL_PX, theme.threshold, HPos::Right, VPos::Bottom);
    for th in &spec.thresholds {
        let f = geo.y_fraction(th.value);
        if !th.value.is_finite() || !(-1e-9..=1.0 + 1e-9).contains(&f) {
            continue;
        }
        let y = py(th.value);
        area.draw(&DashedPathElement::new(
            vec![(left, y), (right, y)],
            6,
            4,
            theme.threshold.stroke_width(1),
        ))
        .map_err(e)?;
        let ly = (y - 2).max(top + 10);
        area.draw(&Text::new(
            th.label.clone(),
            (right - 2, ly),
            th_label.clone(),
        ))
        .map_err(e)?;
    }

    // Markers: dashed verticals, labels stacked over up to three rows where
    // none overlaps another (`layout_marker_labels`).
    let mk_label = text_style(LABEL_PX - 1.0, theme.muted, HPos::Left, VPos::Top);
    let mut visible: Vec<&Marker> = spec
        .markers
        .iter()
        .filter(|mk| mk.at.is_finite() && mk.at >= from && mk.at <= to)
        .collect();
    visible.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut boxes = Vec::with_capacity(visible.len());
    let mut row_h = 0;
    for mk in &visible {
        let x = px(mk.at);
        area.draw(&DashedPathElement::new(
            vec![(x, top), (x, bottom)],
            3,
            3,
            theme.marker.stroke_width(1),
        ))
        .map_err(e)?;
        let (tw, th) = area.estimate_text_size(&mk.label, &mk_label).map_err(e)?;
        boxes.push((x, tw as i32));
        row_h = row_h.max(th as i32 + 1);
    }
    let placed = layout_marker_labels(&boxes, left, right, MARKER_ROWS);
    for ((mk, spot), &(_, w)) in visible.iter().zip(placed).zip(&boxes) {
        // A label that fits in no row is left out (the line stays): zooming
        // in spreads the markers and brings it back.
        let Some((lx, row)) = spot else { continue };
        let ly = top + 2 + row as i32 * row_h;
        // On the chart's background, so other markers' lines do not run
        // through the text (the series are drawn later, over it).
        area.draw(&Rectangle::new(
            [(lx - 1, ly), (lx + w + 1, ly + row_h - 1)],
            theme.background.filled(),
        ))
        .map_err(e)?;
        area.draw(&Text::new(mk.label.clone(), (lx, ly), mk_label.clone()))
            .map_err(e)?;
    }

    // Lines (and the outlines of areas and bars): one polyline per series.
    for s in &spec.series {
        let c = theme.colour(s.hue);
        let pts: Vec<(i32, i32)> = match s.style {
            SeriesStyle::Bars => bar_outline(&s.values, from, to, &px, &py),
            _ => visible_points(&s.values, from, to)
                .into_iter()
                .map(|(t, v)| (px(t), py(v)))
                .collect(),
        };
        if pts.is_empty() {
            continue;
        }
        match s.style {
            SeriesStyle::Dashed => area
                .draw(&DashedPathElement::new(pts, 5, 4, c.stroke_width(2)))
                .map_err(e)?,
            SeriesStyle::Bars => area
                .draw(&PathElement::new(pts, c.stroke_width(1)))
                .map_err(e)?,
            _ => area
                .draw(&PathElement::new(pts, c.stroke_width(2)))
                .map_err(e)?,
        }
    }

    // Axes.
    area.draw(&PathElement::new(
        vec![(left, top), (left, bottom), (right, bottom)],
        theme.axis.stroke_width(1),
    ))
    .map_err(e)?;

    // Cursor.
    if let Some(t) = spec.cursor {
        if t.is_finite() && t >= from && t <= to {
            let x = px(t);
            area.draw(&PathElement::new(
                vec![(x, top), (x, bottom)],
                theme.cursor.stroke_width(2),
            ))
            .map_err(e)?;
        }
    }
    Ok(geo)
}

/// The markers within `tolerance_px` pixels of mouse column `x`, nearest
/// first (for hover: a marker whose label was left out for lack of room is
/// still found here).
pub fn markers_near<'a>(
    spec: &'a ChartSpec,
    geo: &ChartGeometry,
    x: f64,
    tolerance_px: f64,
) -> Vec<&'a Marker> {
    let mut out: Vec<(&Marker, f64)> = spec
        .markers
        .iter()
        .filter(|m| m.at >= geo.window.0 && m.at <= geo.window.1)
        .map(|m| (m, (geo.x_of(m.at) - x).abs()))
        .filter(|(_, d)| *d <= tolerance_px)
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out.into_iter().map(|(m, _)| m).collect()
}

/// The step outline of a bar series (area-relative pixels).
pub(super) fn bar_outline(
    values: &[f64],
    from: f64,
    to: f64,
    px: &impl Fn(f64) -> i32,
    py: &impl Fn(f64) -> i32,
) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for (x0, x1, v) in bar_buckets(values, from, to) {
        let y = py(v);
        let (a, b) = (px(x0), px(x1));
        // Merge runs of equal height into one segment.
        if let Some(last) = out.last_mut() {
            if last.1 == y && last.0 == a {
                last.0 = b;
                continue;
            }
        }
        out.push((a, y));
        out.push((b, y));
    }
    out
}

/// Title, y label and legend, flowing left to right over as many rows as the
/// width needs; returns the header's height.
pub(super) fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    theme: &Theme,
    w: i32,
) -> Result<i32, String> {
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
    let title = (FontFamily::SansSerif, TITLE_PX, FontStyle::Bold)
        .into_font()
        .color(&theme.text)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let label = text_style(LABEL_PX, theme.muted, HPos::Left, VPos::Center);
    let legend = text_style(LABEL_PX, theme.text, HPos::Left, VPos::Center);

    let mut flow = Flow { x: PAD, row: 0, w };
    // The title wraps at spaces to the chart's width (a phone's chart is
    // narrower than the longer titles).
    for (i, line) in wrap(area, &spec.title, &title, w - 2 * PAD)?
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            flow.new_row();
        }
        let (tw, _) = area.estimate_text_size(&line, &title).map_err(e)?;
        let at = flow.place(tw as i32, 0);
        area.draw(&Text::new(line, at, title.clone())).map_err(e)?;
    }
    if !spec.y_label.is_empty() {
        let (lw, _) = area.estimate_text_size(&spec.y_label, &label).map_err(e)?;
        let at = flow.place(lw as i32, 10);
        area.draw(&Text::new(spec.y_label.clone(), at, label.clone()))
            .map_err(e)?;
    }
    // A legend only says something with two series or more; the overlaid
    // run's series share one entry.
    let own = spec
        .series
        .iter()
        .filter(|s| s.style != SeriesStyle::Dashed);
    if spec.series.len() > 1 {
        for s in own {
            let c = theme.colour(s.hue);
            let (nw, _) = area.estimate_text_size(&s.name, &legend).map_err(e)?;
            let (sx, sy) = flow.place(14 + 4 + nw as i32, 14);
            let swatch = match s.style {
                SeriesStyle::Line => Rectangle::new([(sx, sy - 1), (sx + 14, sy + 2)], c.filled()),
                _ => Rectangle::new([(sx, sy - 5), (sx + 14, sy + 5)], c.mix(0.6).filled()),
            };
            area.draw(&swatch).map_err(e)?;
            area.draw(&Text::new(s.name.clone(), (sx + 18, sy), legend.clone()))
                .map_err(e)?;
        }
    }
    if let Some(label) = &spec.overlay {
        let text = format!("dashed: {label}");
        let (nw, _) = area.estimate_text_size(&text, &legend).map_err(e)?;
        let (sx, sy) = flow.place(14 + 4 + nw as i32, 14);
        area.draw(&DashedPathElement::new(
            vec![(sx, sy), (sx + 14, sy)],
            4,
            3,
            theme.muted.stroke_width(2),
        ))
        .map_err(e)?;
        area.draw(&Text::new(text, (sx + 18, sy), legend.clone()))
            .map_err(e)?;
    }
    Ok(PAD + (flow.row + 1) * ROW_H)
}

/// The header's items flowing left to right over rows of [`ROW_H`].
struct Flow {
    x: i32,
    row: i32,
    w: i32,
}

impl Flow {
    /// Where an item `width` wide goes, `gap` after the one before it (on
    /// the next row if it does not fit).
    fn place(&mut self, width: i32, gap: i32) -> (i32, i32) {
        if self.x > PAD && self.x + gap + width > self.w - PAD {
            self.new_row();
        } else if self.x > PAD {
            self.x += gap;
        }
        let at = (self.x, PAD + self.row * ROW_H + ROW_H / 2);
        self.x += width;
        at
    }

    fn new_row(&mut self) {
        self.row += 1;
        self.x = PAD;
    }
}

/// `text` broken at spaces into lines at most `max` pixels wide in `style`
/// (a word longer than that stays whole on its own line).
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    max: i32,
) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let longer = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        let (lw, _) = area
            .estimate_text_size(&longer, style)
            .map_err(|e| e.to_string())?;
        if lw as i32 > max && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = longer;
        }
    }
    lines.push(line);
    Ok(lines)
}
