//! Wiring of a client's DNS resolver to the world: `ResolveNow` over the
//! narrow context ([`Client::resolve_now`](crate::sim::client::Client::resolve_now)),
//! reading the answer through the client node's cache from Route 53, and
//! applying it to the client's channels.
//!
//! It needs the world because an answer reads Route 53 and the node's
//! cache, and applying it shuts subchannels down (closing their
//! connections, counting stale ones by their pod's phase) and opens new
//! ones that connect at once.

use crate::sim::cluster::Phase;
use crate::sim::ctx::ctx;
use crate::sim::engine::Sim;
use crate::sim::metrics::Global;
use crate::sim::time::SimDuration;
use crate::sim::trace::Trigger;

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
        if self.p.one_pick_first_channel() {
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
