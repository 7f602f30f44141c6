//! Kubernetes, Cilium and DNS publication: the rollout and what it changes.
//!
//! - The Deployment controller (maxSurge rounded up, maxUnavailable rounded
//!   down, terminating pods not counted) creates new pods and scales the old
//!   ReplicaSet down as new pods become Ready. Old pods to delete are chosen
//!   the ReplicaSet way: from the node holding the most of them, newest first.
//! - A terminating pod: SIGTERM → gRPC `GracefulStop` (GOAWAY to clients,
//!   listener closed) → `graceful_timeout_s` later the process exits and the
//!   pod is deleted → Cilium removes its rules and device (facts.md §8, §4.3).
//! - external-dns publishes the serving pods' IPs every `interval`; the old
//!   version keeps a pod until it is deleted, the new one drops it at SIGTERM
//!   (facts.md §7). Route 53 keeps a version history clients read through
//!   TTL caches.
//!
//! The events' wiring to the world (a pod's SIGTERM reaches every client,
//! its deletion the stale channels' count) is on the engine's side
//! (`sim/wiring/cluster.rs`).

use super::ctx::Ctx;
use super::event::Ev;
use super::node::Node;
use super::params::ExternalDnsMode;
use super::time::{SimDuration, SimTime};
use super::trace::Notable;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// A pod's lifecycle phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Created, not Ready yet (no listener).
    Starting,
    /// Serving.
    Ready,
    /// SIGTERM received: GracefulStop, listener closed.
    Terminating,
    /// Gone; its IP stays on the node's ENI.
    Deleted,
}

/// A pod of the service.
#[derive(Clone, Debug)]
pub struct Pod {
    /// Index.
    pub index: u32,
    /// IP (a secondary address of the node's ENI).
    pub ip: Ipv4Addr,
    /// Node.
    pub node: u16,
    /// 0 for the old ReplicaSet, 1 for the new.
    pub revision: u8,
    /// Phase.
    pub phase: Phase,
    /// Created at.
    pub created: SimTime,
    /// Ready at.
    pub ready_at: Option<SimTime>,
    /// SIGTERM at.
    pub terminated_at: Option<SimTime>,
    /// Deleted at.
    pub deleted_at: Option<SimTime>,
    /// Last SYN that reached the node for this IP after deletion.
    pub last_syn_after_delete: Option<SimTime>,
    /// Whether a martian drop for this IP was already reported.
    pub martian_reported: bool,
    /// SYNs arriving per second for this IP (old pods only).
    pub syn_per_sec: Vec<u32>,
    /// Established flows to this IP at each second, kept for old pods until
    /// the first of them terminates: the flow-log chart follows that pod and
    /// shows its long-lived connections from the start of the run.
    pub established_per_sec: Vec<u32>,
    /// Clients' subchannels READY to this pod now (its established flows).
    pub ready_subs: u32,
}

impl Pod {
    /// Serving requests (Ready, not terminating).
    pub fn serving(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// Whether the pod had been sent SIGTERM (`Terminating`) or deleted
    /// (`Deleted`) by `t`, which may lie a little in the past: a folded
    /// reconnect counts its attempt as of the backoff's end.
    pub fn leaving_phase_at(&self, t: SimTime) -> Option<Phase> {
        if self.deleted_at.is_some_and(|d| d <= t) {
            Some(Phase::Deleted)
        } else if self.terminated_at.is_some_and(|x| x <= t) {
            Some(Phase::Terminating)
        } else {
            None
        }
    }

    /// A short name (`query-<rs>-<n>`).
    pub fn name(&self) -> String {
        pod_name(self.revision, self.index)
    }

    /// What the page needs of it.
    pub fn info(&self) -> PodInfo {
        PodInfo {
            index: self.index,
            ip: self.ip,
            node: self.node,
            revision: self.revision,
            created: self.created,
            ready_at: self.ready_at,
            terminated_at: self.terminated_at,
            deleted_at: self.deleted_at,
            last_syn_after_delete: self.last_syn_after_delete,
        }
    }
}

/// What the page needs of a pod: who it is and when its phases began.
/// Its phase at any moment follows from these times ([`PodInfo::phase_at`]),
/// so the page can show any moment of a run it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodInfo {
    /// Index.
    pub index: u32,
    /// IP.
    pub ip: Ipv4Addr,
    /// Node.
    pub node: u16,
    /// 0 for the old ReplicaSet, 1 for the new.
    pub revision: u8,
    /// Created at.
    pub created: SimTime,
    /// Ready at.
    pub ready_at: Option<SimTime>,
    /// SIGTERM at.
    pub terminated_at: Option<SimTime>,
    /// Deleted at.
    pub deleted_at: Option<SimTime>,
    /// The last SYN that reached the node for its IP after its deletion.
    pub last_syn_after_delete: Option<SimTime>,
}

impl PodInfo {
    /// The phase at `t`, or `None` before the pod was created.
    pub fn phase_at(&self, t: SimTime) -> Option<Phase> {
        if self.deleted_at.is_some_and(|d| d <= t) {
            Some(Phase::Deleted)
        } else if self.terminated_at.is_some_and(|d| d <= t) {
            Some(Phase::Terminating)
        } else if self.ready_at.is_some_and(|d| d <= t) {
            Some(Phase::Ready)
        } else if self.created <= t {
            Some(Phase::Starting)
        } else {
            None
        }
    }

    /// The pod's name (see [`Pod::name`]).
    pub fn name(&self) -> String {
        pod_name(self.revision, self.index)
    }

    /// The pod's slot on its node's ENI (for the topology's layout).
    pub fn slot(&self) -> usize {
        (self.ip.octets()[3] as usize).saturating_sub(10)
    }
}

fn pod_name(revision: u8, index: u32) -> String {
    format!(
        "metrics-query-{}-{}",
        if revision == 0 { "7d9f" } else { "5c4b" },
        index
    )
}

/// A version of the service's record set in Route 53.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsVersion {
    /// When external-dns wrote it.
    pub at: SimTime,
    /// When resolvers see it (the change has propagated).
    pub visible: SimTime,
    /// Pods listed.
    pub pods: Vec<u32>,
}

/// Route 53's history of the service's A records.
#[derive(Clone, Debug, Default)]
pub struct Route53 {
    /// Versions, oldest first (the last is current).
    pub versions: Vec<DnsVersion>,
}

impl Route53 {
    /// One pass of external-dns (facts.md §7): the pods it publishes now;
    /// if they differ from the current record set, a new version, which
    /// reaches every name server after a propagation delay drawn from the
    /// context's stream (the cluster's). Then the next pass is scheduled.
    pub(crate) fn external_dns_sync(&mut self, cx: &mut Ctx, pods: &[Pod]) {
        let set = published(pods, cx.p.external_dns_mode);
        let cur = self
            .versions
            .last()
            .map(|v| v.pods.clone())
            .unwrap_or_default();
        if set != cur {
            let added = set.iter().filter(|p| !cur.contains(p)).count() as u32;
            let removed = cur.iter().filter(|p| !set.contains(p)).count() as u32;
            let prop = cx.rng.below(cx.p.route53_propagation_max_s * 1_000_000 + 1);
            let visible = cx.now + SimDuration::from_micros(prop);
            self.versions.push(DnsVersion {
                at: cx.now,
                visible,
                pods: set,
            });
            cx.note(
                Notable::DnsUpdated { added, removed },
                format!(
                    "external-dns sync: Route 53 records updated (+{added} -{removed}); the change reaches every name server {:.1} s later; TTL {} s",
                    prop as f64 / 1e6,
                    cx.p.dns_ttl_s
                ),
            );
        }
        cx.schedule(
            SimDuration::from_secs(cx.p.external_dns_interval_s.max(1)),
            Ev::ExternalDnsSync,
        );
    }

    /// The newest version a resolver can get at `now` (changes become
    /// visible once propagated; a later change never hides behind an
    /// earlier one still propagating: the answer is the newest visible).
    pub fn visible_at(&self, now: SimTime) -> usize {
        self.versions
            .iter()
            .rposition(|v| v.visible <= now)
            .unwrap_or(0)
    }
}

/// Which pods external-dns publishes: the Ready ones, and the terminating
/// ones too when it drops a pod only at its deletion (before v0.7.0 it
/// published every Running pod, and a terminating pod stays Running until
/// its containers exit; facts.md §7).
fn published(pods: &[Pod], mode: ExternalDnsMode) -> Vec<u32> {
    pods.iter()
        .filter(|p| match p.phase {
            Phase::Ready => true,
            Phase::Terminating => mode == ExternalDnsMode::AfterDeletion,
            Phase::Starting | Phase::Deleted => false,
        })
        .map(|p| p.index)
        .collect()
}

/// What the Deployment controller works on: every pod that ever existed,
/// the nodes they are placed on (Cilium sets up each new pod's endpoint
/// there), and whether the rollout has finished. The rolling update takes
/// this and the narrow context (with the cluster's random stream), not the
/// world.
pub(crate) struct Deployment<'a> {
    /// Every pod that ever existed.
    pub pods: &'a mut Vec<Pod>,
    /// The service nodes.
    pub nodes: &'a mut [Node],
    /// The rollout has finished (noted once).
    pub done: &'a mut bool,
}

impl Deployment<'_> {
    /// A new pod of `revision` on `node`, created at `now`, Starting.
    pub(in crate::sim) fn create_pod(&mut self, now: SimTime, node: u16, revision: u8) -> u32 {
        let index = self.pods.len() as u32;
        let nd = &mut self.nodes[node as usize];
        let slot = nd.next_slot;
        nd.next_slot += 1;
        let ip = Node::pod_ip(node, slot);
        nd.cilium_add_pod(index, ip);
        self.pods.push(Pod {
            index,
            ip,
            node,
            revision,
            phase: Phase::Starting,
            created: now,
            ready_at: None,
            terminated_at: None,
            deleted_at: None,
            last_syn_after_delete: None,
            martian_reported: false,
            syn_per_sec: Vec::new(),
            established_per_sec: Vec::new(),
            ready_subs: 0,
        });
        index
    }

    /// The rollout begins (the new ReplicaSet's first pass).
    pub(crate) fn begin(&mut self, cx: &mut Ctx) {
        cx.note(
            Notable::RolloutStarted,
            format!(
                "Rollout starts: {} replicas, maxSurge {}%, maxUnavailable {}%",
                cx.p.replicas, cx.p.max_surge_pct, cx.p.max_unavailable_pct
            ),
        );
        self.sync(cx);
    }

    /// One pass of the Deployment controller's rolling update.
    pub(crate) fn sync(&mut self, cx: &mut Ctx) {
        let r = cx.p.replicas;
        let mut surge = (r * cx.p.max_surge_pct).div_ceil(100);
        let unavail = r * cx.p.max_unavailable_pct / 100;
        if surge == 0 && unavail == 0 {
            surge = 1;
        }
        let old_active: Vec<u32> = self
            .pods
            .iter()
            .filter(|p| p.revision == 0 && matches!(p.phase, Phase::Starting | Phase::Ready))
            .map(|p| p.index)
            .collect();
        let new_total = self
            .pods
            .iter()
            .filter(|p| {
                p.revision == 1 && p.phase != Phase::Deleted && p.phase != Phase::Terminating
            })
            .count() as u32;
        let new_ready = self
            .pods
            .iter()
            .filter(|p| p.revision == 1 && p.phase == Phase::Ready)
            .count() as u32;
        // Scale up the new ReplicaSet within maxSurge.
        let allowed = (r + surge).saturating_sub(old_active.len() as u32);
        let target = r.min(allowed);
        for _ in new_total..target {
            let node = self.least_loaded_node();
            let pod = self.create_pod(cx.now, node, 1);
            let jitter = cx.rng.range_inclusive(900, 1_100);
            let startup = SimDuration::from_micros(cx.p.pod_startup_s * 1_000 * jitter);
            cx.schedule(startup, Ev::PodReady(pod));
            let ip = self.pods[pod as usize].ip;
            cx.note(
                Notable::PodCreated { pod },
                format!(
                    "Pod {} created on node {} with IP {ip}",
                    self.pods[pod as usize].name(),
                    node
                ),
            );
        }
        // Scale down the old ReplicaSet within maxUnavailable.
        let min_available = r.saturating_sub(unavail);
        let available = old_active.len() as u32 + new_ready;
        let mut can_remove = available
            .saturating_sub(min_available)
            .min(old_active.len() as u32);
        let mut candidates = old_active;
        while can_remove > 0 && !candidates.is_empty() {
            // ReplicaSet ranking: most co-located replicas first, then newest.
            let best = *candidates
                .iter()
                .max_by_key(|i| {
                    let node = self.pods[**i as usize].node;
                    let colocated = self
                        .pods
                        .iter()
                        .filter(|p| {
                            p.revision == 0
                                && p.node == node
                                && matches!(p.phase, Phase::Starting | Phase::Ready)
                        })
                        .count();
                    (colocated, **i)
                })
                .expect("non-empty");
            candidates.retain(|c| *c != best);
            self.pods[best as usize].phase = Phase::Terminating;
            cx.schedule(SimDuration::ZERO, Ev::PodTerminate(best));
            can_remove -= 1;
        }
        let old_left = self
            .pods
            .iter()
            .any(|p| p.revision == 0 && p.phase != Phase::Deleted);
        if !old_left && new_ready == r && !*self.done {
            *self.done = true;
            cx.note(
                Notable::RolloutFinished,
                "Rollout complete: every replica runs the new version".into(),
            );
        }
    }

    fn least_loaded_node(&self) -> u16 {
        let mut load = vec![0u32; self.nodes.len()];
        for p in self.pods.iter() {
            if p.phase != Phase::Deleted {
                load[p.node as usize] += 1;
            }
        }
        load.iter()
            .enumerate()
            .min_by_key(|(i, l)| (**l, *i))
            .map(|(i, _)| i as u16)
            .unwrap_or(0)
    }

    /// Pod `pod`'s readiness probe passes: Ready, and the controller's next
    /// pass.
    pub(crate) fn pod_ready(&mut self, cx: &mut Ctx, pod: u32) {
        let p = &mut self.pods[pod as usize];
        if p.phase != Phase::Starting {
            return;
        }
        p.phase = Phase::Ready;
        p.ready_at = Some(cx.now);
        let text = format!("Pod {} is Ready ({})", p.name(), p.ip);
        cx.note(Notable::PodReady { pod }, text);
        self.sync(cx);
    }
}
