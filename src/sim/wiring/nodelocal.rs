//! Wiring of node-local-dns's events to the instances: each builds the
//! narrow context and hands the event to the instance of its node.
//!
//! It needs the world only to find that node (`Host`: the node and the
//! kernel's SYN retransmission schedule) and, for the users' tick, how many
//! of the service's pods serve on each node.

use crate::sim::ctx::ctx;
use crate::sim::engine::Sim;
use crate::sim::nodelocal::{users_tick, Host};

/// The thin dispatch: each builds the context and hands the event to the
/// instance of its node. The context's random stream is not drawn from
/// (node-local-dns has streams of its own).
impl Sim {
    pub(crate) fn on_dns_tick(&mut self) {
        let mut serving = vec![0u64; self.nodes.len()];
        for p in &self.pods {
            if p.serving() {
                serving[p.node as usize] += 1;
            }
        }
        users_tick(
            &mut ctx!(self, rng_net),
            &mut self.nld,
            &mut self.nodes,
            &self.syn_retx_ms,
            &serving,
            &mut self.dns_batch,
        );
    }

    pub(crate) fn on_nld_retry(&mut self, node: u16, slot: u32) {
        let node = usize::from(node);
        let host = &mut Host {
            node: &mut self.nodes[node],
            syn_retx_ms: &self.syn_retx_ms,
        };
        self.nld[node].on_retry(&mut ctx!(self, rng_net), host, slot);
    }

    /// Per-second bookkeeping for node-local-dns and throughput.
    pub(crate) fn nld_second(&mut self) {
        let cx = &mut ctx!(self, rng_net);
        for (d, nd) in self.nld.iter_mut().zip(self.nodes.iter_mut()) {
            d.second(cx, nd);
        }
    }
}
