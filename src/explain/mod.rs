//! Explanations the page shows, computed from a packet's record and the
//! scenario's parameters (never in the UI, so native tests cover every fate
//! and every parameter that changes the text).
//!
//! | module | holds |
//! |---|---|
//! | [`mod@why`] | the inspector's chain of causes and a packet's path |
//! | [`kernel`] | the kernel step-through of one SYN, with what-if toggles |
//! | [`compare`] | what a comparison runs and where two runs part |

pub mod compare;
pub mod kernel;
pub mod why;

pub use why::{path_hops, why, RunFacts};

#[cfg(test)]
mod tests;
