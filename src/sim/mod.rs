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
//! | [`engine`] | `Sim`: the state of the system, the event loop, `step`/`run_until`; `engine/checkpoint.rs`: copies of the state to seek back to, and what they cost in bytes; [`summary`]: the run's figures (the CLI's `--json`) |
//! | `wiring` | the `impl Sim` blocks joining several models at once: each event's dispatch to its model, with the state it concerns and the narrow context (`clients`, `cluster`, `fabric`, `fold`, `nodelocal`, `resolver`) |
//! | `event` | the events the queue carries and the kinds of reply to a SYN |
//! | `ctx` | the narrow context a model takes instead of the world: clock, parameters, queue, a random stream, metrics, trace, totals |
//! | `totals` | the run's counts of SYNs and attempts |
//! | [`params`] | every knob, with the incident's values as defaults |
//! | [`cluster`] | the rollout (`Deployment`, over the narrow context), pods, Cilium's part, external-dns and Route 53 |
//! | [`client`] | gRPC channels; `client/subchannel.rs`: the subchannel's state machine and backoff as functions of `Sub` with explicit times |
//! | `resolver` | a client's DNS resolver: `ResolveNow` and its rate limit, the node cache |
//! | [`fabric`] | packets through the VPC and the node's kernel |
//! | [`node`] | a node: its `NetNs`, VPC and Linux conntrack, ICMP limits |
//! | [`route_memo`] | a node's memo of its routing decisions per (client, pod) |
//! | [`nodelocal`] | NodeLocal DNSCache and the service's users: methods on `NodeLocalDns` over the narrow context and its node |
//! | [`linux`] | the kernel's ingress path (shared with the lab) |
//! | [`backoff`] | grpc-go and spec backoff arithmetic |
//! | [`expiry`] | bounded counting of entries by expiry time |
//! | [`growth`] | growing the big vectors by half, not doubling (a wasm memory never shrinks) |
//! | [`metrics`] | per-second series |
//! | [`trace`] | sampled packets, notable events, kernel log |
//! | [`time`], [`rng`], [`queue`] | time, seeded streams, the event queue |
//! | [`prefetch`] | a cache hint for what the event loop reads next (x86-64) |
//!
//! The dependency direction: the engine and the wiring → the models
//! (`client`, `cluster`, `fabric`, `node`, `nodelocal`, `resolver`, …) →
//! `ctx`, `event`, `time`, `rng`, `queue`, `metrics`, `trace`. No model
//! imports the engine or names `Sim` (`tests/dependencies.rs` checks it).

#![deny(missing_docs)]

pub mod backoff;
pub mod client;
pub mod cluster;
mod ctx;
pub mod engine;
mod event;
pub mod expiry;
pub mod fabric;
pub mod growth;
pub mod linux;
pub mod metrics;
pub mod node;
pub mod nodelocal;
pub mod params;
pub mod ports;
pub mod prefetch;
pub mod queue;
mod resolver;
pub mod rng;
pub mod route_memo;
pub mod time;
mod totals;
pub mod trace;
mod wiring;

pub use engine::{summary, Sim};
pub use params::Params;
