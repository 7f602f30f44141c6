//! A gRPC client's DNS resolver: it re-resolves only when asked
//! (`ResolveNow`, which every reconnect asks for) and at most once per
//! `min_time_between_resolutions` (facts.md §2.4), reads the service name
//! through its node's DNS cache (which keeps an answer for the record's TTL),
//! and applies the answer to the client's channels: new addresses get a
//! channel that connects at once, vanished ones are shut down.
//!
//! Here `ResolveNow` over the narrow context and the node cache's read;
//! resolving and applying the answer need the world (Route 53, the cache,
//! the channels' subchannels and pods) and are on the engine's side
//! (`sim/wiring/resolver.rs`).

use super::client::{CachedAnswer, Client};
use super::cluster::Route53;
use super::ctx::Ctx;
use super::event::Ev;
use super::time::{SimDuration, SimTime};

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
    pub(in crate::sim) fn read(&mut self, r53: &Route53, now: SimTime, ttl: SimDuration) -> usize {
        let fresh = matches!(self.fetched, Some(f) if now < f + ttl);
        if !fresh {
            self.fetched = Some(now);
            self.version = r53.visible_at(now);
        }
        self.version
    }
}
