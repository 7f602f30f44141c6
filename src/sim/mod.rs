//! The engine: a deterministic, discrete-event simulation of the incident.
//!
//! Nothing here touches the web, a clock or an OS random source. Time is an
//! integer number of microseconds and only advances to the next event; every
//! random draw comes from a named stream under one root seed; collections that
//! are iterated are ordered. The same scenario and seed give the same trace,
//! natively and in wasm.
//!
//! | module | holds |
//! |---|---|
//! | [`time`] | `SimTime`, `SimDuration` |
//! | [`rng`] | `SimRng`: per-component streams from one seed |
//! | [`queue`] | the `(time, seq)` event queue |
//! | [`linux`] | the node's kernel: devices, FIB, rules, rp_filter, ICMP limits |

#![deny(missing_docs)]

pub mod linux;
pub mod queue;
pub mod rng;
pub mod time;
