//! How much engine time each animation frame gets.
//!
//! The page runs the engine inside `requestAnimationFrame`, between drawing
//! the topology and re-rendering components. A fixed slice either wastes a
//! fast machine (at 10x in the SYN storm the engine needs more than 4 ms a
//! frame to keep up with the clock) or drops frames on a slow one, so the
//! slice adapts: it grows while the engine trails the clock and frames come
//! on time, and halves when a frame comes late (additive increase,
//! multiplicative decrease, as TCP's congestion window does).

/// Engine time per frame (ms) to start from and never go below: what a
/// 60 Hz frame can spare after drawing, on a slow machine.
pub const ENGINE_MS: f64 = 4.0;
/// Most engine time per frame (ms): drawing and rendering take 2–4 ms of a
/// 16.7 ms frame on this machine (the end-to-end test reports them), so
/// this still leaves them room.
pub const ENGINE_MS_MAX: f64 = 8.0;
/// Growth of the engine's time per on-time frame while it trails the clock.
pub const ENGINE_MS_STEP: f64 = 0.5;
/// A frame that comes later than this after the previous one missed a
/// 60 Hz refresh.
pub const LATE_FRAME_MS: f64 = 20.0;
/// Engine time in a frame that also re-renders components (ms).
pub const ENGINE_MS_RENDER_FRAME: f64 = 3.0;

/// The engine's time (ms) in the next frame, from this frame's, whether the
/// engine stopped short of the clock in it, and the time since the previous
/// frame (none for the first frame after a pause).
pub fn engine_budget(current_ms: f64, behind: bool, frame_interval_ms: Option<f64>) -> f64 {
    let current = current_ms.clamp(ENGINE_MS, ENGINE_MS_MAX);
    match frame_interval_ms {
        Some(gap) if gap > LATE_FRAME_MS => (current / 2.0).max(ENGINE_MS),
        Some(_) if behind => (current + ENGINE_MS_STEP).min(ENGINE_MS_MAX),
        _ => current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slice_grows_while_the_engine_trails_on_time_frames_up_to_the_cap() {
        let mut ms = ENGINE_MS;
        for _ in 0..100 {
            ms = engine_budget(ms, true, Some(16.7));
        }
        assert_eq!(ms, ENGINE_MS_MAX);
        // Half a millisecond per frame.
        let mut ms = ENGINE_MS;
        for _ in 0..4 {
            ms = engine_budget(ms, true, Some(16.7));
        }
        assert_eq!(ms, ENGINE_MS + 4.0 * ENGINE_MS_STEP);
    }

    #[test]
    fn a_late_frame_halves_the_slice_but_not_below_the_start() {
        assert_eq!(
            engine_budget(ENGINE_MS_MAX, true, Some(40.0)),
            ENGINE_MS_MAX / 2.0
        );
        assert_eq!(engine_budget(5.0, true, Some(40.0)), ENGINE_MS);
        assert_eq!(engine_budget(ENGINE_MS, false, Some(40.0)), ENGINE_MS);
    }

    #[test]
    fn a_caught_up_engine_or_the_first_frame_keeps_the_slice() {
        assert_eq!(engine_budget(7.0, false, Some(16.7)), 7.0);
        assert_eq!(engine_budget(7.0, true, None), 7.0);
        // A default (zero) slice starts at the minimum.
        assert_eq!(engine_budget(0.0, false, None), ENGINE_MS);
    }
}
