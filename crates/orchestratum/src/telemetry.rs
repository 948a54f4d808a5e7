//! The metrics the runtime records, through the `metrics` facade: every name and label in one
//! place (`docs/metrics.md` lists them). Without an installed recorder each call is a no-op.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use uuid::Uuid;

use crate::push::NewCommand;
use crate::store::ClaimedCommand;

/// Commands pushed (follow-ups included), by name.
pub(crate) const PUSHED: &str = "orchestratum_commands_pushed_total";
/// Commands claimed (a run started or, for a cancel or a used-up lapse, decided), by name.
pub(crate) const CLAIMED: &str = "orchestratum_commands_claimed_total";
/// Outcomes written, by name and outcome: completed, retried, failed, canceled, released,
/// refused (the database refused it; the command was failed instead).
pub(crate) const OUTCOMES: &str = "orchestratum_outcomes_total";
/// Handler run time, by name.
pub(crate) const RUN_SECONDS: &str = "orchestratum_run_duration_seconds";
/// Time from due to claimed, by name (database clock).
pub(crate) const QUEUE_WAIT_SECONDS: &str = "orchestratum_queue_wait_seconds";
/// Time from push to a final outcome, by name (push time from the UUIDv7 id).
pub(crate) const END_TO_END_SECONDS: &str = "orchestratum_end_to_end_seconds";
/// Claim statement latency.
pub(crate) const CLAIM_SECONDS: &str = "orchestratum_claim_duration_seconds";
/// Commands per claim.
pub(crate) const CLAIM_BATCH: &str = "orchestratum_claim_batch_size";
/// Outcome write latency (one batch, follow-ups included).
pub(crate) const WRITE_SECONDS: &str = "orchestratum_outcome_write_duration_seconds";
/// Outcomes per write.
pub(crate) const WRITE_BATCH: &str = "orchestratum_outcome_write_batch_size";
/// Runs in flight in this process.
pub(crate) const IN_FLIGHT: &str = "orchestratum_runs_in_flight";
/// Finished commands deleted by retention, by final state.
pub(crate) const PRUNED: &str = "orchestratum_commands_pruned_total";

/// What a written outcome was, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    Retried,
    Failed,
    Canceled,
    Released,
    Refused,
}

impl Outcome {
    /// Every outcome, in declaration order (the index of each in `NameMetrics::outcomes`).
    const ALL: [Outcome; 6] = [
        Outcome::Completed,
        Outcome::Retried,
        Outcome::Failed,
        Outcome::Canceled,
        Outcome::Released,
        Outcome::Refused,
    ];

    fn label(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Retried => "retried",
            Outcome::Failed => "failed",
            Outcome::Canceled => "canceled",
            Outcome::Released => "released",
            Outcome::Refused => "refused",
        }
    }

    /// What the per-minute stats count it as: a release is no outcome of the command, and a
    /// refused outcome left it failed.
    pub fn stats(self) -> Option<crate::stats::StatsOutcome> {
        use crate::stats::StatsOutcome as S;
        match self {
            Outcome::Completed => Some(S::Completed),
            Outcome::Retried => Some(S::Retried),
            Outcome::Failed | Outcome::Refused => Some(S::Failed),
            Outcome::Canceled => Some(S::Canceled),
            Outcome::Released => None,
        }
    }

    /// Whether the command is finished after it.
    fn is_final(self) -> bool {
        !matches!(self, Outcome::Retried | Outcome::Released)
    }
}

/// The metrics of one command name, registered once.
struct NameMetrics {
    pushed: Counter,
    claimed: Counter,
    queue_wait: Histogram,
    run: Histogram,
    end_to_end: Histogram,
    outcomes: [Counter; Outcome::ALL.len()],
}

impl NameMetrics {
    fn new(name: &str) -> Self {
        let n = || name.to_owned();
        Self {
            pushed: counter!(PUSHED, "name" => n()),
            claimed: counter!(CLAIMED, "name" => n()),
            queue_wait: histogram!(QUEUE_WAIT_SECONDS, "name" => n()),
            run: histogram!(RUN_SECONDS, "name" => n()),
            end_to_end: histogram!(END_TO_END_SECONDS, "name" => n()),
            outcomes: Outcome::ALL
                .map(|o| counter!(OUTCOMES, "name" => n(), "outcome" => o.label())),
        }
    }
}

/// This instance's metric handles: registered when it is built, for the names it handles, so a
/// run records its metrics without building a key (names it does not handle, such as
/// follow-ups for other workers, are registered as they come). Install the recorder before
/// building the instance.
pub(crate) struct Metrics {
    by_name: HashMap<String, NameMetrics>,
    claim_seconds: Histogram,
    claim_batch: Histogram,
    write_seconds: Histogram,
    write_batch: Histogram,
    in_flight: Gauge,
}

impl Metrics {
    pub fn new(names: &[String]) -> Self {
        Self {
            by_name: names
                .iter()
                .map(|n| (n.clone(), NameMetrics::new(n)))
                .collect(),
            claim_seconds: histogram!(CLAIM_SECONDS),
            claim_batch: histogram!(CLAIM_BATCH),
            write_seconds: histogram!(WRITE_SECONDS),
            write_batch: histogram!(WRITE_BATCH),
            in_flight: gauge!(IN_FLIGHT),
        }
    }

    /// Runs `f` on the metrics of `name`, registered for the occasion if this instance does
    /// not handle it.
    fn with_name(&self, name: &str, f: impl FnOnce(&NameMetrics)) {
        match self.by_name.get(name) {
            Some(m) => f(m),
            None => f(&NameMetrics::new(name)),
        }
    }

    /// Rows inserted by one push (or as follow-ups). Names this instance does not handle
    /// (follow-ups for other workers) register only their counter.
    pub fn pushed<'a>(&self, rows: impl IntoIterator<Item = &'a NewCommand>) {
        for row in rows {
            match self.by_name.get(&row.name) {
                Some(m) => m.pushed.increment(1),
                None => counter!(PUSHED, "name" => row.name.clone()).increment(1),
            }
        }
    }

    /// One claim statement and what it returned.
    pub fn claimed(&self, elapsed: Duration, claimed: &[ClaimedCommand]) {
        self.claim_seconds.record(elapsed);
        self.claim_batch.record(claimed.len() as f64);
        for c in claimed {
            self.with_name(&c.name, |m| {
                m.claimed.increment(1);
                m.queue_wait.record(c.queue_wait);
            });
        }
    }

    /// One outcome write of `count` outcomes.
    pub fn written(&self, elapsed: Duration, count: usize) {
        self.write_seconds.record(elapsed);
        self.write_batch.record(count as f64);
    }

    /// A run started (`+1`) or ended (`-1`) in this process.
    pub fn in_flight(&self, delta: f64) {
        self.in_flight.increment(delta);
    }

    /// Retention deleted `n` finished commands in `state`.
    pub fn pruned(&self, state: crate::record::State, n: u64) {
        counter!(PRUNED, "state" => state.as_str()).increment(n);
    }

    /// A handler ran for `elapsed`.
    pub fn ran(&self, name: &str, elapsed: Duration) {
        self.with_name(name, |m| m.run.record(elapsed));
    }

    /// An outcome of command `id` was written.
    pub fn outcome(&self, id: Uuid, name: &str, outcome: Outcome) {
        self.with_name(name, |m| {
            m.outcomes[outcome as usize].increment(1);
            if outcome.is_final()
                && let Some(pushed_at) = pushed_at(id)
                && let Ok(elapsed) = SystemTime::now().duration_since(pushed_at)
            {
                m.end_to_end.record(elapsed);
            }
        });
    }
}

/// When a command was pushed: the timestamp of its UUIDv7 id (millisecond precision), if it is
/// one (the .NET library writes v4 ids).
fn pushed_at(id: Uuid) -> Option<SystemTime> {
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_time_comes_from_a_v7_id_only() {
        let before = SystemTime::now() - Duration::from_millis(2);
        let at = pushed_at(Uuid::now_v7()).unwrap();
        assert!(at >= before && at <= SystemTime::now(), "{at:?}");
        assert_eq!(pushed_at(Uuid::new_v4()), None);
    }
}
