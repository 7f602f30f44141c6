//! The wiring: the `impl Sim` blocks that join several models at once.
//!
//! The models (`client/`, `cluster.rs`, `fabric/`, `nodelocal/`,
//! `resolver.rs`, `node.rs`, …) hold their state and functions over (their
//! state, `&mut Ctx`) and never import the engine. What needs the world (an
//! event that reads a subchannel, its client and its pod; a pod's deletion
//! that reaches every client; a fold that reads a subchannel with its
//! client and the run's end) is here, on the engine's side: [`Sim`]'s event
//! loop dispatches each event to a method in one of these modules, which
//! finds the state the event concerns, builds the narrow context (`ctx!`)
//! and calls the model.
//!
//! | module | wires |
//! |---|---|
//! | `cluster` | the rollout's events, external-dns, a pod's SIGTERM and deletion |
//! | `clients` | the gRPC clients' subchannels: attempts, GOAWAY, replies, backoffs |
//! | `resolver` | `ResolveNow`, the node cache's answer, applying it to the channels |
//! | `fabric` | a SYN's arrival at the node and the reply's arrival at the client |
//! | `fold` | event folding (a speed-up over the clients' wiring) |
//! | `nodelocal` | node-local-dns's events to the instance of their node |
//!
//! [`Sim`]: crate::sim::Sim

mod clients;
mod cluster;
mod fabric;
mod fold;
mod nodelocal;
mod resolver;
