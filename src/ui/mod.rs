//! The page (wasm32 only): Yew components over the whole run's record, which
//! the engine's Web Worker streams (the page never runs the simulation).
//!
//! | module | holds |
//! |---|---|
//! | [`app`] | the root: view state, URL sync, keyboard, layout, the animation loop |
//! | [`page`] | the clock, the runs' records as they stream in, answers about one moment |
//! | [`worker`] | the engine's Web Worker and the page's link to it |
//! | [`transport`] | play/pause, stepping, speed, the scrubber with markers |
//! | [`topology`] | the animated network view (canvas) |
//! | [`controls`] | what-if parameters grouped by layer, presets |
//! | [`kernel`] | the kernel step-through of one packet |
//! | [`inspector`] | a packet's fields, path, fate and cause chain |
//! | [`eventlog`] | the virtualised, filterable event log |
//! | [`charts`] | the responders' charts |
//! | [`lab`] | the `ip` lab terminal |
//! | [`assumptions`] | what the outcome rests on, each one click from either end of its range |
//! | [`tour`] | the guided investigation (the story file's compact form) |
//! | [`storymode`] | `?story`: the chapters beside the simulation, scroll-linked both ways |
//! | [`embed`] | one panel alone (`embed=`), the Embed button |
//! | [`story`] | the story header |
//! | [`exports`] | downloads (CSV, pcapng, flow logs, kernel log, PNG) |
//! | [`sweep`] | the sweep page: a grid of whole runs over Web Workers, its form |

mod app;
mod assumptions;
mod chart_canvas;
mod charts;
mod controls;
mod embed;
mod eventlog;
mod exports;
mod frame;
mod hooks;
mod inspector;
mod kernel;
mod keys;
mod lab;
mod lens;
mod page;
mod state;
mod story;
mod storymode;
mod sweep;
mod topology;
mod tour;
mod transport;
mod util;
pub mod worker;

pub use app::App;

/// Mounts the page on `<body>`: the sweep page if the link asks for one.
pub fn start() {
    yew::Renderer::<sweep::Root>::new().render();
}
