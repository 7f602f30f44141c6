//! The view model: what the page draws, computed from the engine's state
//! without touching the browser.
//!
//! Everything here is plain Rust over [`crate::sim`], so it compiles for both
//! targets: the Yew components in `ui` (wasm32 only) call it to draw, and
//! native tests call the very same code (the charts with plotters' SVG
//! backend) to check what would be drawn.
//!
//! | module | holds |
//! |---|---|
//! | [`topology`] | where nodes, pods and packets are drawn on the topology view |
//! | [`charts`] | the responders' charts: specs built from the metrics, drawing on any plotters backend, mouse ↔ time mapping |
//! | [`timeline`] | the marks on the scrubber and the jumps between them |
//! | [`lens`] | what each vantage point recorded of the run (`nstat`, `ethtool -S`, flow logs, logs), as its tool prints it |
//! | [`sweep`] | the sweep grid: sparklines, values, the boundary on the cells, links, progress |

pub mod charts;
pub mod lens;
pub mod sweep;
pub mod timeline;
pub mod topology;
