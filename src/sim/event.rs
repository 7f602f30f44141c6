//! What the event queue carries: the events, and the kinds of reply a SYN
//! can get. They are apart from `engine/` (which pops and dispatches
//! them) because the models schedule them: a model that only needs an event
//! or a reply kind then has no reason to import the world's module.

/// What can happen. Events about a subchannel carry its generation `gen`
/// (see [`Sub::gen`](super::client::Sub::gen)) and are ignored when the
/// subchannel has moved on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ev {
    RolloutBegin,
    PodReady(u32),
    PodTerminate(u32),
    PodDeleted(u32),
    ExternalDnsSync,
    GoAway {
        sub: u32,
        gen: u32,
    },
    SynArrive {
        sub: u32,
        gen: u32,
        n: u8,
        sample: u32,
    },
    SynRetransmit {
        sub: u32,
        gen: u32,
        n: u8,
    },
    Reply {
        sub: u32,
        gen: u32,
        kind: ReplyKind,
    },
    DialDeadline {
        sub: u32,
        gen: u32,
    },
    BackoffDone {
        sub: u32,
        gen: u32,
    },
    /// A timed-out attempt's backoff ended one network latency ago and the
    /// next attempt's SYN arrives now (see [`Sim::on_reconnect`](super::Sim::on_reconnect)).
    Reconnect {
        sub: u32,
        gen: u32,
    },
    IdleRpc {
        sub: u32,
        gen: u32,
    },
    Resolve {
        client: u32,
    },
    DnsTick,
    NldRetry {
        node: u16,
        slot: u32,
    },
    Second,
}

impl Ev {
    /// The subchannel the event is about, if any.
    pub(super) fn sub(&self) -> Option<u32> {
        match *self {
            Ev::GoAway { sub, .. }
            | Ev::SynArrive { sub, .. }
            | Ev::SynRetransmit { sub, .. }
            | Ev::Reply { sub, .. }
            | Ev::DialDeadline { sub, .. }
            | Ev::BackoffDone { sub, .. }
            | Ev::Reconnect { sub, .. }
            | Ev::IdleRpc { sub, .. } => Some(sub),
            _ => None,
        }
    }
}

/// What comes back to a client's SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReplyKind {
    SynAck,
    Rst,
    Icmp,
}
