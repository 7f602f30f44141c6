//! Wiring of the cluster's events to the world: the rollout's events go to
//! [`Deployment`] (the pods and nodes) with the cluster's random stream,
//! external-dns's passes to
//! [`Route53`](crate::sim::cluster::Route53).
//!
//! It needs the world because a pod's SIGTERM and deletion reach beyond
//! the cluster model: GOAWAY to every client READY to the pod, the stale
//! channels' count, the tracked pod of the flow-log chart, Cilium on the
//! pod's node; and building the cluster at the start fills Route 53's
//! first version.

use crate::sim::cluster::{Deployment, DnsVersion, Phase};
use crate::sim::ctx::ctx;
use crate::sim::engine::Sim;
use crate::sim::event::Ev;
use crate::sim::metrics::Global;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::Notable;
use std::net::Ipv4Addr;

/// The [`Deployment`] over `sim`'s fields (a macro for the same reason as
/// `ctx!`: the context borrows other fields beside it).
macro_rules! deployment {
    ($sim:ident) => {
        Deployment {
            pods: &mut $sim.pods,
            nodes: &mut $sim.nodes,
            done: &mut $sim.rollout_done,
        }
    };
}

impl Sim {
    pub(crate) fn init_cluster(&mut self) {
        let n = self.nodes.len().max(1) as u32;
        let now = self.now;
        let d = &mut deployment!(self);
        for i in 0..self.p.replicas {
            let node = (i % n) as u16;
            let pod = d.create_pod(now, node, 0);
            let p = &mut d.pods[pod as usize];
            p.phase = Phase::Ready;
            p.ready_at = Some(SimTime::ZERO);
        }
        let pods: Vec<u32> = (0..self.pods.len() as u32).collect();
        self.route53.versions.push(DnsVersion {
            at: SimTime::ZERO,
            visible: SimTime::ZERO,
            pods,
        });
    }

    /// The pod owning `ip`, if any pod ever had it.
    pub fn pod_by_ip(&self, ip: Ipv4Addr) -> Option<u32> {
        let o = ip.octets();
        if o[0] != 10 || o[1] != 0 || o[2] < 64 || o[2] >= 128 {
            return None;
        }
        self.pods.iter().find(|p| p.ip == ip).map(|p| p.index)
    }

    pub(crate) fn on_rollout_begin(&mut self) {
        deployment!(self).begin(&mut ctx!(self, rng_cluster));
    }

    /// One pass of the Deployment controller ([`Deployment::sync`]).
    pub(crate) fn deployment_sync(&mut self) {
        deployment!(self).sync(&mut ctx!(self, rng_cluster));
    }

    pub(crate) fn on_pod_ready(&mut self, pod: u32) {
        deployment!(self).pod_ready(&mut ctx!(self, rng_cluster), pod);
    }

    pub(crate) fn on_pod_terminate(&mut self, pod: u32) {
        let now = self.now;
        let secs = self.end_secs();
        let p = &mut self.pods[pod as usize];
        p.terminated_at = Some(now);
        p.syn_per_sec.resize(secs, 0);
        let text = format!(
            "Pod {} ({}) gets SIGTERM: GracefulStop sends GOAWAY and closes the listener; exit in {} s",
            p.name(),
            p.ip,
            self.p.graceful_timeout_s
        );
        self.trace.note(now, Notable::PodTerminating { pod }, text);
        if self.tracked_pod.is_none() {
            self.tracked_pod = Some(pod);
            let history = std::mem::take(&mut self.pods[pod as usize].established_per_sec);
            for p in &mut self.pods {
                p.established_per_sec = Vec::new();
            }
            self.metrics.backfill_gauge(
                Global::FlowLogEstablished,
                history.iter().map(|&n| f64::from(n)),
            );
        }
        self.broadcast_goaway(pod);
        self.schedule(
            SimDuration::from_secs(self.p.graceful_timeout_s),
            Ev::PodDeleted(pod),
        );
    }

    pub(crate) fn end_secs(&self) -> usize {
        self.p.duration_s as usize + 1
    }

    pub(crate) fn on_pod_deleted(&mut self, pod: u32) {
        let now = self.now;
        let (node, ip) = {
            let p = &mut self.pods[pod as usize];
            p.phase = Phase::Deleted;
            p.deleted_at = Some(now);
            (p.node, p.ip)
        };
        let unreachable = self.p.cilium_unreachable_route;
        self.nodes[node as usize].cilium_delete_pod(pod, ip, unreachable);
        self.stale_subs += self
            .clients
            .iter()
            .filter(|c| c.sub_for(pod).is_some())
            .count() as u64;
        let text = format!(
            "Pod {} deleted: Cilium removes rules 20/111 and its veth{}; {ip} stays on node {node}'s ens6",
            self.pods[pod as usize].name(),
            if unreachable { ", adds `unreachable` route" } else { "" }
        );
        self.trace.note(now, Notable::PodDeleted { pod }, text);
        self.deployment_sync();
    }

    /// external-dns's sync loop: one pass, then the next one scheduled
    /// (`Route53::external_dns_sync`, which takes its own history, the pods
    /// it reads and the narrow context with the cluster's random stream).
    pub(crate) fn on_external_dns_sync(&mut self) {
        let cx = &mut ctx!(self, rng_cluster);
        self.route53.external_dns_sync(cx, &self.pods);
    }
}
