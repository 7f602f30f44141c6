//! Step-through records of the kernel's ingress decision.
//!
//! Each [`Step`] names one check of the kernel's control flow (a [`Check`]),
//! the file and lines it paraphrases, the values it read for this packet and
//! where control went next. The model code in [`super::input`] and
//! [`super::validate`] emits one step per check it passes, in the kernel's
//! order, so the page can walk a reader through one packet's real path.
//! Line numbers are those of Linux 5.10.89 (identical in 5.15.24 over these
//! functions, facts.md §1.0/§1.1); for later kernels only the function is
//! named, because their control flow is the same but the lines moved.

use super::version::KernelVersion;
use serde::Serialize;

/// A point in the kernel's ingress control flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Check {
    /// `ip_route_input_slow`: multicast or limited-broadcast source.
    InSourceMartian,
    /// `ip_route_input_slow`: limited broadcast / all-zero destination.
    InLimitedBroadcast,
    /// `ip_route_input_slow`: zero-network source or destination.
    InZeroNet,
    /// `ip_route_input_slow`: loopback addresses without `route_localnet`.
    InLoopback,
    /// `ip_route_input_slow`: the forward FIB lookup.
    InFibLookup,
    /// `ip_route_input_slow`: the lookup failed (`no_route`).
    InNoRoute,
    /// `ip_route_input_slow`: `RTN_LOCAL`, validate the source with `oif` 0.
    InLocal,
    /// `ip_route_input_slow`: `RTN_BROADCAST`.
    InBroadcast,
    /// `ip_route_input_slow`: forwarding disabled on the ingress device.
    InForwarding,
    /// `ip_route_input_slow`: a non-unicast result is a martian destination.
    InNotUnicast,
    /// `__mkroute_input`: validate the source against the output device.
    InMkroute,
    /// `ip_handle_martian_source`: log (if enabled) and drop.
    InMartianSource,
    /// `martian_destination:` label.
    InMartianDestination,
    /// `ip_error`: the route is an error route; maybe send ICMP.
    InIpError,
    /// The packet is forwarded (`ip_forward`).
    InForward,
    /// The packet is delivered locally (`ip_local_deliver`).
    InLocalDeliver,
    /// `fib_validate_source`: effective `rp_filter = max(all, dev)`.
    VsEffectiveRpFilter,
    /// `fib_validate_source`: may the fast path be used?
    VsFastPath,
    /// `fib_validate_source`: `accept_local` on the fast path.
    VsAcceptLocal,
    /// `fib_validate_source`: custom rules or local routes force the full check.
    VsCustomRules,
    /// `fib_validate_source`: a source that is one of our own addresses.
    VsLocalSource,
    /// `fib_validate_source`: fast path accepts.
    VsFastAccept,
    /// `__fib_validate_source`: build the reverse flow key.
    FvsReverseKey,
    /// `__fib_validate_source`: `no_addr = ifa_list == NULL`.
    FvsNoAddr,
    /// `__fib_validate_source`: the reverse lookup.
    FvsLookup,
    /// `__fib_validate_source`: the reverse route must be unicast (or local with accept_local).
    FvsRouteType,
    /// `__fib_validate_source`: does the reverse route use the ingress device?
    FvsDevMatch,
    /// `__fib_validate_source`: `if (no_addr) goto last_resort;`.
    FvsNoAddrJump,
    /// `__fib_validate_source`: strict mode rejects a mismatch.
    FvsStrict,
    /// `__fib_validate_source`: loose mode's second lookup; always accepts.
    FvsLoose,
    /// `__fib_validate_source`: `last_resort:`.
    FvsLastResort,
    /// `__fib_validate_source`: `e_inval:`.
    FvsEInval,
    /// `__fib_validate_source`: `e_rpf:`.
    FvsERpf,
}

impl Check {
    /// The kernel function this check belongs to.
    pub fn function(self) -> &'static str {
        use Check::*;
        match self {
            InSourceMartian | InLimitedBroadcast | InZeroNet | InLoopback | InFibLookup
            | InNoRoute | InLocal | InBroadcast | InForwarding | InNotUnicast
            | InMartianDestination => "ip_route_input_slow",
            InMkroute => "__mkroute_input",
            InMartianSource => "ip_handle_martian_source",
            InIpError => "ip_error",
            InForward => "ip_forward",
            InLocalDeliver => "ip_local_deliver",
            VsEffectiveRpFilter | VsFastPath | VsAcceptLocal | VsCustomRules | VsLocalSource
            | VsFastAccept => "fib_validate_source",
            _ => "__fib_validate_source",
        }
    }

    /// Source file and 5.10.89 lines this check paraphrases.
    pub fn lines_5_10(self) -> &'static str {
        use Check::*;
        match self {
            InSourceMartian => "net/ipv4/route.c:2145-2146",
            InLimitedBroadcast => "net/ipv4/route.c:2150-2151",
            InZeroNet => "net/ipv4/route.c:2156-2160",
            InLoopback => "net/ipv4/route.c:2165-2172",
            InFibLookup => "net/ipv4/route.c:2175-2191",
            InNoRoute => "net/ipv4/route.c:2192-2196, 2306-2314",
            InBroadcast => "net/ipv4/route.c:2198-2202",
            InLocal => "net/ipv4/route.c:2204-2210",
            InForwarding => "net/ipv4/route.c:2212-2215",
            InNotUnicast => "net/ipv4/route.c:2216-2217",
            InMkroute => "net/ipv4/route.c:1834-1838",
            InMartianSource => "net/ipv4/route.c:1787-1806",
            InMartianDestination => "net/ipv4/route.c:2316-2323",
            InIpError => "net/ipv4/route.c:960-1010",
            InForward => "net/ipv4/ip_forward.c:ip_forward",
            InLocalDeliver => "net/ipv4/ip_input.c:ip_local_deliver",
            VsEffectiveRpFilter => "net/ipv4/fib_frontend.c:425",
            VsFastPath => "net/ipv4/fib_frontend.c:428-429",
            VsAcceptLocal => "net/ipv4/fib_frontend.c:430-431",
            VsCustomRules => "net/ipv4/fib_frontend.c:436-438",
            VsLocalSource => "net/ipv4/fib_frontend.c:439-440",
            VsFastAccept => "net/ipv4/fib_frontend.c:442-444",
            FvsReverseKey => "net/ipv4/fib_frontend.c:354-365",
            FvsNoAddr => "net/ipv4/fib_frontend.c:367",
            FvsLookup => "net/ipv4/fib_frontend.c:378-379",
            FvsRouteType => "net/ipv4/fib_frontend.c:380-382",
            FvsDevMatch => "net/ipv4/fib_frontend.c:385-394",
            FvsNoAddrJump => "net/ipv4/fib_frontend.c:395-396",
            FvsStrict => "net/ipv4/fib_frontend.c:397-398",
            FvsLoose => "net/ipv4/fib_frontend.c:399-406",
            FvsLastResort => "net/ipv4/fib_frontend.c:408-412",
            FvsEInval => "net/ipv4/fib_frontend.c:414-415",
            FvsERpf => "net/ipv4/fib_frontend.c:416-417",
        }
    }

    /// Where to read this check for the given kernel version.
    pub fn location(self, v: KernelVersion) -> String {
        if v < KernelVersion::V6_13 {
            format!("{} (Linux 5.10.89)", self.lines_5_10())
        } else {
            let file = self.lines_5_10().split(':').next().unwrap_or("");
            format!(
                "{file}, {}() (Linux {v}: same control flow, lines moved)",
                self.function()
            )
        }
    }
}

/// Where control goes after a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Next {
    /// Falls through to the next check.
    Continue,
    /// Jumps to a label.
    Goto(&'static str),
    /// Returns a value (shown as text: `0`, `1`, `-EXDEV`, …).
    Return(String),
}

/// One check as this packet met it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Which check.
    pub check: Check,
    /// What the kernel tests here, in this project's words, with the values read.
    pub text: String,
    /// Named values the check read or computed.
    pub values: Vec<(&'static str, String)>,
    /// Where control went.
    pub next: Next,
}

/// A sink for steps: `None` on the engine's hot path (nothing is built),
/// `Some` when a reader or the lab asked for an explanation.
pub type Steps<'a> = Option<&'a mut Vec<Step>>;

/// Records a step if someone is listening; the arguments are only evaluated then.
macro_rules! step {
    ($steps:expr, $check:expr, $next:expr, $text:expr $(, $k:literal => $v:expr)* $(,)?) => {
        if let Some(s) = $steps.as_deref_mut() {
            s.push($crate::sim::linux::explain::Step {
                check: $check,
                text: $text,
                values: vec![$(($k, $v.to_string())),*],
                next: $next,
            });
        }
    };
}
pub(crate) use step;
