//! The page (wasm32 only): Yew components over the engine.
//!
//! | module | holds |
//! |---|---|
//! | [`app`] | the root: view state, URL sync, keyboard, layout, the animation loop |
//! | [`engine`] | the running `Sim` with checkpoints, advanced in bounded chunks |
//! | [`transport`] | play/pause, stepping, speed, the scrubber with markers |
//! | [`topology`] | the animated network view (canvas) |
//! | [`controls`] | what-if parameters grouped by layer, presets |
//! | [`kernel`] | the kernel step-through of one packet |
//! | [`inspector`] | a packet's fields, path, fate and cause chain |
//! | [`eventlog`] | the virtualised, filterable event log |
//! | [`charts`] | the responders' charts |
//! | [`lab`] | the `ip` lab terminal |
//! | [`tour`] | the guided investigation |
//! | [`exports`] | downloads (CSV, pcapng, flow logs, kernel log, PNG) |

mod app;
mod chart_canvas;
mod charts;
mod controls;
mod engine;
mod eventlog;
mod exports;
mod inspector;
mod kernel;
mod lab;
mod topology;
mod tour;
mod transport;
mod util;

pub use app::App;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
