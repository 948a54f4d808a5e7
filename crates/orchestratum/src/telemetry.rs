//! The metrics the runtime records, through the `metrics` facade: every name and label in one
//! place (`docs/metrics.md` lists them). Without an installed recorder each call is a no-op.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{counter, gauge, histogram};
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

    /// Whether the command is finished after it.
    fn is_final(self) -> bool {
        !matches!(self, Outcome::Retried | Outcome::Released)
    }
}

/// Rows inserted by one push (or as follow-ups).
pub(crate) fn pushed(rows: &[NewCommand]) {
    for group in rows.chunk_by(|a, b| a.name == b.name) {
        counter!(PUSHED, "name" => group[0].name.clone()).increment(group.len() as u64);
    }
}

/// One claim statement and what it returned.
pub(crate) fn claimed(elapsed: Duration, claimed: &[ClaimedCommand]) {
    histogram!(CLAIM_SECONDS).record(elapsed);
    histogram!(CLAIM_BATCH).record(claimed.len() as f64);
    for c in claimed {
        counter!(CLAIMED, "name" => c.name.clone()).increment(1);
        histogram!(QUEUE_WAIT_SECONDS, "name" => c.name.clone()).record(c.queue_wait);
    }
}

/// One outcome write of `count` outcomes.
pub(crate) fn written(elapsed: Duration, count: usize) {
    histogram!(WRITE_SECONDS).record(elapsed);
    histogram!(WRITE_BATCH).record(count as f64);
}

/// A run started (`+1`) or ended (`-1`) in this process.
pub(crate) fn in_flight(delta: f64) {
    gauge!(IN_FLIGHT).increment(delta);
}

/// A handler ran for `elapsed`.
pub(crate) fn ran(name: &str, elapsed: Duration) {
    histogram!(RUN_SECONDS, "name" => name.to_owned()).record(elapsed);
}

/// An outcome of command `id` was written.
pub(crate) fn outcome(id: Uuid, name: &str, outcome: Outcome) {
    counter!(OUTCOMES, "name" => name.to_owned(), "outcome" => outcome.label()).increment(1);
    if outcome.is_final()
        && let Some(pushed_at) = pushed_at(id)
        && let Ok(elapsed) = SystemTime::now().duration_since(pushed_at)
    {
        histogram!(END_TO_END_SECONDS, "name" => name.to_owned()).record(elapsed);
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
