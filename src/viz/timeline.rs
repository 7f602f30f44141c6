//! The timeline's marks: the notable events the scrubber shows and `n` / `N`
//! jump between (the rollout's start and end, each pod deletion, the first
//! martian, the VPC table filling, DNS trouble), from the whole run's events.

use crate::sim::time::SimTime;
use crate::sim::trace::{EventRecord, Notable};

/// One mark.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// When.
    pub at: SimTime,
    /// Its CSS class (`mk--rollout`, `mk--delete`, …).
    pub class: &'static str,
    /// The event's sentence.
    pub text: String,
}

/// The class of an event the timeline marks, or `None`.
pub fn class_of(what: &Notable) -> Option<&'static str> {
    Some(match what {
        Notable::RolloutStarted | Notable::RolloutFinished => "mk--rollout",
        Notable::PodDeleted { .. } => "mk--delete",
        Notable::FirstMartian { .. } => "mk--martian",
        Notable::ConntrackFull { .. } => "mk--conntrack",
        Notable::DnsRejecting { .. }
        | Notable::UpstreamDown { .. }
        | Notable::NldOomKilled { .. } => "mk--dns",
        _ => return None,
    })
}

/// Every mark of a run, in time order.
pub fn marks(events: &[EventRecord]) -> Vec<Mark> {
    events
        .iter()
        .filter_map(|e| {
            class_of(&e.what).map(|class| Mark {
                at: e.at,
                class,
                text: e.text.clone(),
            })
        })
        .collect()
}

/// The next (or previous) mark's time from `t`, more than a millisecond
/// away (so repeated presses move on).
pub fn jump(marks: &[Mark], t: SimTime, forward: bool) -> Option<SimTime> {
    let now = t.micros();
    if forward {
        marks
            .iter()
            .map(|m| m.at)
            .find(|a| a.micros() > now + 1_000)
    } else {
        marks
            .iter()
            .rev()
            .map(|m| m.at)
            .find(|a| a.micros() + 1_000 < now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at_s: u64, what: Notable) -> EventRecord {
        EventRecord {
            at: SimTime::from_secs(at_s),
            what,
            text: String::new(),
        }
    }

    #[test]
    fn jumps_go_to_the_rollout_then_the_first_deletion() {
        let evs = vec![
            ev(120, Notable::RolloutStarted),
            ev(120, Notable::PodCreated { pod: 48 }),
            ev(125, Notable::PodTerminating { pod: 0 }),
            ev(135, Notable::PodDeleted { pod: 0 }),
            ev(136, Notable::PodDeleted { pod: 1 }),
            ev(150, Notable::FirstMartian { pod: 0 }),
        ];
        let m = marks(&evs);
        assert_eq!(m.len(), 4);
        let t1 = jump(&m, SimTime::ZERO, true).unwrap();
        assert_eq!(t1, SimTime::from_secs(120));
        let t2 = jump(&m, t1, true).unwrap();
        assert_eq!(t2, SimTime::from_secs(135));
        assert_eq!(jump(&m, t2, false), Some(t1));
        assert_eq!(jump(&m, SimTime::from_secs(200), true), None);
    }
}
