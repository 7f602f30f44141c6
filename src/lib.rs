//! An explorable, packet-level reproduction of a Kubernetes rollout outage:
//! gRPC clients reconnecting in a storm, Linux reverse-path filtering silently
//! dropping SYNs to deleted pod IPs on a secondary ENI without an IPv4
//! address, the AWS VPC connection-tracking table saturating, and
//! NodeLocal DNSCache failing as a side effect.
//!
//! | layer | module | knows about |
//! |---|---|---|
//! | engine | [`sim`] | nothing web: time, seeded RNG, events, the models, metrics, trace |
//! | lab | [`lab`] | iproute2/sysctl commands over [`sim::linux`] |
//! | scenario | [`scenario`] | parameters, presets, validation, URL/JSON encoding |
//! | exports | [`export`] | trace/metrics → CSV, pcap, flow logs, kernel log |
//! | explanations | [`explain`] | why-chains, kernel walks, comparisons, from records and parameters |
//! | whole run | [`run`] | a scenario run to its end in slices, streamed as the page's record |
//! | formatting | [`mod@format`] | numbers and simulated times, printed one way by page and CLI |
//! | view model | [`viz`] | snapshots → positions, colours, chart series and drawing |
//! | UI | `ui` (wasm only) | Yew components, canvas/SVG, animation, URL, browser APIs |

// No unsafe code (`[lints.rust]` in Cargo.toml denies it in every target),
// with one audited exception: the CPU prefetch hint in `sim::prefetch`.

pub mod explain;
pub mod export;
pub mod format;
pub mod lab;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod viz;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
