//! Step-through records of the kernel's ingress decision.
//!
//! Each [`Step`] names one check of the kernel's control flow (a [`Check`]),
//! the file and lines it paraphrases, the values it read for this packet and
//! where control went next. The model code in [`super::input`] and
//! [`super::validate`] emits one step per check it passes, in the kernel's
//! order, so the page can walk a reader through one packet's real path.
//! Line numbers are those of Linux 5.10.262; for 6.13+ kernels only the
//! function is named, because their control flow is the same but the lines
//! moved and errors became drop reasons.

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

    /// Source file and lines this check paraphrases, in Linux 5.10.262 (the
    /// last 5.10 LTS; 5.10.89, which facts.md cites, differs by a line or two
    /// in `fib_frontend.c`).
    pub fn lines_5_10(self) -> &'static str {
        use Check::*;
        match self {
            InSourceMartian => "net/ipv4/route.c:2187-2188",
            InLimitedBroadcast => "net/ipv4/route.c:2192-2193",
            InZeroNet => "net/ipv4/route.c:2198-2202",
            InLoopback => "net/ipv4/route.c:2207-2212",
            InFibLookup => "net/ipv4/route.c:2238",
            InNoRoute => "net/ipv4/route.c:2239-2242, 2340-2345",
            InBroadcast => "net/ipv4/route.c:2245-2251",
            InLocal => "net/ipv4/route.c:2254-2259",
            InForwarding => "net/ipv4/route.c:2262-2265",
            InNotUnicast => "net/ipv4/route.c:2266-2267",
            InMkroute => "net/ipv4/route.c:1862-1869",
            InMartianSource => "net/ipv4/route.c:1815-1836",
            InMartianDestination => "net/ipv4/route.c:2350-2356",
            InIpError => "net/ipv4/route.c:977-1051",
            InForward => "net/ipv4/ip_forward.c:ip_forward()",
            InLocalDeliver => "net/ipv4/ip_input.c:ip_local_deliver()",
            VsEffectiveRpFilter => "net/ipv4/fib_frontend.c:424",
            VsFastPath => "net/ipv4/fib_frontend.c:427-428",
            VsAcceptLocal => "net/ipv4/fib_frontend.c:429-430",
            VsCustomRules => "net/ipv4/fib_frontend.c:435-437",
            VsLocalSource => "net/ipv4/fib_frontend.c:438-439",
            VsFastAccept => "net/ipv4/fib_frontend.c:441-443",
            FvsReverseKey => "net/ipv4/fib_frontend.c:354-364",
            FvsNoAddr => "net/ipv4/fib_frontend.c:366",
            FvsLookup => "net/ipv4/fib_frontend.c:377-378",
            FvsRouteType => "net/ipv4/fib_frontend.c:379-381",
            FvsDevMatch => "net/ipv4/fib_frontend.c:384-393",
            FvsNoAddrJump => "net/ipv4/fib_frontend.c:394-395",
            FvsStrict => "net/ipv4/fib_frontend.c:396-397",
            FvsLoose => "net/ipv4/fib_frontend.c:398-405",
            FvsLastResort => "net/ipv4/fib_frontend.c:407-411",
            FvsEInval => "net/ipv4/fib_frontend.c:413-414",
            FvsERpf => "net/ipv4/fib_frontend.c:415-416",
        }
    }

    /// Where to read this check for the given kernel version.
    pub fn location(self, v: KernelVersion) -> String {
        if v < KernelVersion::V6_13 {
            format!("{} (Linux 5.10.262)", self.lines_5_10())
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
