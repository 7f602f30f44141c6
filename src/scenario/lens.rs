//! Lenses: what each team's vantage point recorded during the outage.
//!
//! The responders found the cause late because each team saw one slice of it
//! (issue 22, from the post's timeline): the service saw DNS errors and
//! latency; node-local-dns rejected queries and failed its health checks; the
//! ENA driver counted `conntrack_allowance_exceeded` (collected by nobody at
//! the time); VPC flow logs held the unanswered SYNs once grouped by TCP flag;
//! the kernel's `IPReversePathFilter` counter rose on every node. A lens
//! shows the page through one of those vantage points: which panels and
//! charts it records, the rest dimmed. What each lens's tool prints is
//! computed in `viz::lens`; this module only names the lenses (the URL's
//! `lens=`) and says what each one sees, so the URL and the page agree.

/// One vantage point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lens {
    /// The service: its error rate, latency and logs.
    Application,
    /// NodeLocal DNSCache (CoreDNS): its logs and Prometheus metrics.
    NodeLocalDns,
    /// The ENA driver's allowance counters (`ethtool -S`).
    Ena,
    /// VPC flow logs of the nodes' ENIs.
    FlowLogs,
    /// The nodes' kernels: `nstat` counters and the martian log.
    Kernel,
    /// Everything the simulation knows.
    #[default]
    Truth,
}

impl Lens {
    /// Every lens in the order the responders used them (the guided
    /// investigation's order: the symptom, node-local-dns, the ENA counter,
    /// the flow logs, then the kernel), ground truth last.
    pub const ALL: [Lens; 6] = [
        Lens::Application,
        Lens::NodeLocalDns,
        Lens::Ena,
        Lens::FlowLogs,
        Lens::Kernel,
        Lens::Truth,
    ];

    /// Its name in a URL (`lens=kernel`) and in element ids.
    pub fn name(self) -> &'static str {
        match self {
            Lens::Application => "application",
            Lens::NodeLocalDns => "node-local-dns",
            Lens::Ena => "ena",
            Lens::FlowLogs => "flow-logs",
            Lens::Kernel => "kernel",
            Lens::Truth => "truth",
        }
    }

    /// Its label on the switch.
    pub fn label(self) -> &'static str {
        match self {
            Lens::Application => "application",
            Lens::NodeLocalDns => "node-local-dns",
            Lens::Ena => "ENA/AWS metrics",
            Lens::FlowLogs => "VPC flow logs",
            Lens::Kernel => "kernel counters",
            Lens::Truth => "ground truth",
        }
    }

    /// The lens named `s`, or a message listing the names.
    pub fn parse(s: &str) -> Result<Lens, String> {
        Lens::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Lens::ALL.iter().map(|l| l.name()).collect();
                format!(
                    "unknown lens {} (lenses: {})",
                    super::quoted(s),
                    names.join(", ")
                )
            })
    }

    /// The charts (`viz::charts::CHART_IDS`) this vantage point records.
    /// The ENA lens keeps the VPC table's fill (what
    /// `conntrack_allowance_available` reports) and the instance's
    /// throughput (CloudWatch's `NetworkIn`); the SYN rate and the per-IP
    /// flow-log chart's SYN/FIN split are only known to the simulation or to
    /// a flow-log query.
    pub fn charts(self) -> &'static [&'static str] {
        match self {
            Lens::Application => &["error-rate", "latency"],
            Lens::NodeLocalDns => &[
                "nodelocaldns-rejects",
                "dns-queries",
                "nodelocaldns-healthcheck-failures",
            ],
            Lens::Ena => &[
                "conntrack-allowance-exceeded",
                "vpc-conntrack",
                "throughput",
            ],
            Lens::FlowLogs => &["flowlog-old-ip"],
            Lens::Kernel => &["tcp-retransmits", "linux-conntrack"],
            Lens::Truth => &[],
        }
    }

    /// True if this lens records chart `id`.
    pub fn shows_chart(self, id: &str) -> bool {
        self == Lens::Truth || self.charts().contains(&id)
    }

    /// True if this lens records panel `panel`. Only panels that show what
    /// happened are dimmed; the what-if controls and the assumptions are
    /// the reader's, not a record, and stay. The lab (`ip`, `sysctl` on a
    /// node) is what someone logged into a node could run.
    pub fn shows_panel(self, panel: &str) -> bool {
        match panel {
            "controls" | "assumptions" => true,
            "charts" => self == Lens::Truth || !self.charts().is_empty(),
            "lab" => matches!(self, Lens::Kernel | Lens::Truth),
            _ => self == Lens::Truth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::url;

    #[test]
    fn names_parse_back_and_a_bad_one_is_named_with_the_choices() {
        for l in Lens::ALL {
            assert_eq!(Lens::parse(l.name()), Ok(l));
        }
        let e = Lens::parse("wireshark").unwrap_err();
        assert!(
            e.contains("\"wireshark\"") && e.contains("kernel, truth"),
            "{e}"
        );
    }

    #[test]
    fn the_url_carries_the_lens_and_omits_the_default() {
        for l in Lens::ALL {
            let v = url::ViewState {
                lens: l,
                ..Default::default()
            };
            let q = url::encode(&v);
            assert_eq!(q.contains("lens="), l != Lens::Truth, "{q}");
            let (back, errors) = url::decode(&q);
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(back, v, "{q}");
        }
        let (v, errors) = url::decode("?lens=kernel&t=100");
        assert_eq!((v.lens, v.t), (Lens::Kernel, 100.0));
        assert!(errors.is_empty());
        // An embedded panel is shown whole; its link to the page keeps the lens.
        let snippet = url::embed_snippet("https://x/", &v, "charts");
        assert!(!snippet.contains("lens="), "{snippet}");
        assert!(url::full_page_query(&v).contains("lens=kernel"));
    }

    #[test]
    fn a_bad_lens_in_a_link_is_dropped_with_a_message_and_the_rest_kept() {
        let (v, errors) = url::decode("?lens=tcpdump&t=100");
        assert_eq!((v.lens, v.t), (Lens::Truth, 100.0));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("\"tcpdump\"") && errors[0].contains("ground truth"));
    }

    #[test]
    fn ground_truth_shows_everything_and_every_other_lens_dims_something() {
        for id in crate::viz::charts::CHART_IDS {
            assert!(Lens::Truth.shows_chart(id));
        }
        for p in url::PANELS {
            assert!(Lens::Truth.shows_panel(p));
        }
        for l in &Lens::ALL[..5] {
            for id in l.charts() {
                assert!(crate::viz::charts::CHART_IDS.contains(id), "{id}");
            }
            assert!(!l.shows_panel("topology") && !l.shows_panel("log"));
            assert!(!l.shows_chart("syn-rate"), "{l:?}");
        }
        assert!(Lens::Kernel.shows_panel("lab") && !Lens::Ena.shows_panel("lab"));
    }
}
