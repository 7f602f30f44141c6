//! A gRPC client's DNS resolver: it re-resolves only when asked
//! (`ResolveNow`, which every reconnect asks for) and at most once per
//! `min_time_between_resolutions` (facts.md §2.4), reads the service name
//! through its node's DNS cache (which keeps an answer for the record's TTL),
//! and applies the answer to the client's channels: new addresses get a
//! channel that connects at once, vanished ones are shut down.

use super::client::{CachedAnswer, Client};
use super::cluster::{Phase, Route53};
use super::ctx::{ctx, Ctx};
use super::engine::Sim;
use super::event::Ev;
use super::metrics::Global;
use super::params::LbPolicy;
use super::time::{SimDuration, SimTime};
use super::trace::Trigger;

impl Client {
    /// `ResolveNow` for this client (number `id`): resolve at once, or when
    /// the rate limit allows; nothing if a resolution is already scheduled.
    pub(crate) fn resolve_now(&mut self, id: u32, cx: &mut Ctx) {
        if self.resolve_pending {
            return;
        }
        self.resolve_pending = true;
        let min = SimDuration::from_secs(cx.p.min_time_between_resolutions_s);
        let at = match self.last_resolution {
            Some(last) => (last + min).max(cx.now),
            None => cx.now,
        };
        self.resolve_at = at;
        cx.schedule_at(at, Ev::Resolve { client: id });
    }
}

impl CachedAnswer {
    /// The Route 53 version a client node's cache answers with at `now`:
    /// the one it holds while younger than `ttl`, else the one visible now
    /// (fetched and kept).
    fn read(&mut self, r53: &Route53, now: SimTime, ttl: SimDuration) -> usize {
        let fresh = matches!(self.fetched, Some(f) if now < f + ttl);
        if !fresh {
            self.fetched = Some(now);
            self.version = r53.visible_at(now);
        }
        self.version
    }
}

impl Sim {
    /// `ResolveNow` for client `client` ([`Client::resolve_now`]).
    pub(crate) fn resolve_now(&mut self, client: u32) {
        self.clients[client as usize].resolve_now(client, &mut ctx!(self, rng_net));
    }

    /// The service's addresses as this client's node cache returns them now.
    fn dns_answer(&mut self, client: u32) -> Vec<u32> {
        let node = self.clients[client as usize].dns_node as usize;
        let ttl = SimDuration::from_secs(self.p.dns_ttl_s);
        let version = self.client_dns[node].read(&self.route53, self.now, ttl);
        self.route53.versions[version].pods.clone()
    }

    pub(crate) fn on_resolve(&mut self, client: u32) {
        {
            let c = &mut self.clients[client as usize];
            c.resolve_pending = false;
            c.last_resolution = Some(self.now);
        }
        self.metrics.add(Global::ClientResolutions, 1.0);
        let answer = self.dns_answer(client);
        self.update_channels(client, &answer);
    }

    /// Applies a resolver result: new addresses get a channel (which connects
    /// at once), vanished addresses' channels are shut down.
    fn update_channels(&mut self, client: u32, answer: &[u32]) {
        let ci = client as usize;
        type Channels = Vec<(u32, u32)>;
        let (keep, gone): (Channels, Channels) = self.clients[ci]
            .subs
            .iter()
            .partition(|(pod, _)| answer.contains(pod));
        for (pod, sub) in &gone {
            self.materialize_reconnect(*sub);
            if self.subs[*sub as usize].shutdown() {
                self.close_connection(*sub);
            }
            if self.pods[*pod as usize].phase == Phase::Deleted {
                self.stale_subs = self.stale_subs.saturating_sub(1);
            }
            self.free_subs.push(*sub);
        }
        self.clients[ci].subs = keep;
        let mut new_pods: Vec<u32> = answer
            .iter()
            .copied()
            .filter(|p| self.clients[ci].sub_for(*p).is_none())
            .collect();
        if !self.p.channel_per_backend && self.p.lb_policy == LbPolicy::PickFirst {
            // One pick_first channel: a single subchannel to the first address.
            if !self.clients[ci].subs.is_empty() {
                new_pods.clear();
            } else {
                new_pods.truncate(1);
            }
        }
        for pod in new_pods {
            let sub = self.alloc_sub(client, pod);
            self.clients[ci].subs.push((pod, sub));
            self.subs[sub as usize].next_trigger = Trigger::NewAddress;
            self.connect(sub);
        }
    }
}
