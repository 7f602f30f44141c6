//! Presets: named sets of overrides on the incident's configuration.
//! Each lists only the parameters that differ; none is a code path.

/// A preset.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Name.
    pub name: &'static str,
    /// One line.
    pub description: &'static str,
    /// Overrides (key, value).
    pub overrides: &'static [(&'static str, &'static str)],
}

/// All presets; the first is the default.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "incident",
        description: "September 2021: round_robin clients with a ~300 ms custom backoff, rp_filter=2 on an address-less ens6",
        overrides: &[],
    },
    Preset {
        name: "fix-default-backoff",
        description: "The fix: the three custom lines removed, gRPC's default backoff (1 s ×1.6, ±20 %, 120 s max, 20 s min connect)",
        overrides: &[
            ("base_delay_ms", "1000"),
            ("multiplier_milli", "1600"),
            ("jitter_milli", "200"),
            ("max_delay_ms", "120000"),
            ("min_connect_timeout_ms", "20000"),
        ],
    },
    Preset {
        name: "larger-instance",
        description: "A larger instance type: twice the VPC conntrack allowance (assumed to scale with size)",
        overrides: &[("conntrack_allowance", "273624")],
    },
    Preset {
        name: "pick-first",
        description: "The clients' policy before August 2021: pick_first (grpc-go ≥1.41 idles a disconnected channel until an RPC)",
        overrides: &[("lb_policy", "pick_first")],
    },
    Preset {
        name: "cilium-unreachable-route",
        description: "Cilium's later fix: an `unreachable` route for a deleted pod's IP (ICMP instead of a silent drop)",
        overrides: &[("cilium_unreachable_route", "true")],
    },
    Preset {
        name: "ens6-address",
        description: "An IPv4 address on ens6, as in the post's test: loose rp_filter passes the SYN",
        overrides: &[("ens6_address", "true")],
    },
    Preset {
        name: "no-rollout",
        description: "The same cluster with no rollout",
        overrides: &[("rollout", "false")],
    },
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
