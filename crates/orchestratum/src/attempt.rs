//! `Attempt`: one run of a command, as its history shows it. Runs that did not succeed (and
//! lapsed leases) are rows of `{prefix}attempts`, written with the outcome or the claim that
//! ended them; a success, and the run in progress, are read from the command row itself.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::record::{CommandRecord, FailureKind, State};

/// One run of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// Which run: 1 for the first.
    pub attempt: i32,
    /// The worker that ran it (its `worker.id` in spans and in the worker registry).
    pub worker_id: Option<Uuid>,
    /// When it was claimed.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended; `None` while it runs.
    pub ended_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Its error, or the reason it was canceled.
    pub error: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Still running under a live lease.
    Running,
    /// Succeeded.
    Completed,
    /// Failed in this way (a lapsed lease is `Failed(FailureKind::LeaseExpired)`).
    Failed(FailureKind),
    /// Canceled while it ran.
    Canceled,
    /// Stopped by a shutdown, its lease given back.
    Released,
}

impl AttemptOutcome {
    /// The stored (and printed) name: `running`, `completed`, `canceled`, `released`, or the
    /// failure kind (`failed`, `timed_out`, `lease_expired`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Running => "running",
            AttemptOutcome::Completed => "completed",
            AttemptOutcome::Canceled => "canceled",
            AttemptOutcome::Released => "released",
            AttemptOutcome::Failed(kind) => kind.as_str(),
        }
    }

    /// Reads a stored `outcome`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => AttemptOutcome::Running,
            "completed" => AttemptOutcome::Completed,
            "canceled" => AttemptOutcome::Canceled,
            "released" => AttemptOutcome::Released,
            other => AttemptOutcome::Failed(FailureKind::parse(other)?),
        })
    }
}

impl std::fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AttemptOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The whole history: the recorded attempts, then the run the command row itself describes
/// (a success, the run in progress, or a lapsed lease nobody has taken back yet), unless it
/// was recorded already.
pub(crate) fn history(mut recorded: Vec<Attempt>, record: &CommandRecord) -> Vec<Attempt> {
    let last = recorded.last().map_or(0, |a| a.attempt);
    if let Some(current) = current(record).filter(|c| c.attempt > last) {
        recorded.push(current);
    }
    recorded
}

/// The run the row describes, if its outcome is not an attempt row.
fn current(r: &CommandRecord) -> Option<Attempt> {
    if r.attempt == 0 {
        return None;
    }
    let attempt = |outcome, ended_at, error| Attempt {
        attempt: r.attempt,
        worker_id: r.worker_id,
        started_at: r.running_at,
        ended_at,
        outcome,
        error,
    };
    match r.state() {
        State::Completed => Some(attempt(AttemptOutcome::Completed, r.completed_at, None)),
        State::Running => Some(attempt(AttemptOutcome::Running, None, None)),
        // Marked running, but its lease lapsed: the next claim will record it as such.
        _ if r.is_running => Some(attempt(
            AttemptOutcome::Failed(FailureKind::LeaseExpired),
            r.run_expires_at,
            Some("lease expired: the worker running it stopped renewing".into()),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn row(attempt: i32) -> CommandRecord {
        let now = Utc::now();
        CommandRecord {
            id: Uuid::now_v7(),
            target: "t".into(),
            name: "n".into(),
            input: None,
            output: None,
            scheduled_at: now,
            timeout: Duration::from_secs(1),
            is_running: false,
            running_at: Some(now),
            run_expires_at: None,
            is_completed: false,
            completed_at: None,
            is_canceled: false,
            canceled_at: None,
            retries_left: 1,
            is_failed: false,
            failed_at: None,
            attempt,
            last_error: None,
            last_outcome: None,
            parent_id: None,
            worker_id: Some(Uuid::now_v7()),
            cancel_requested_at: None,
            priority: 0,
            unique_key: None,
            unique_over: Vec::new(),
            workflow_id: None,
            read_at: now,
        }
    }

    fn failed(attempt: i32) -> Attempt {
        Attempt {
            attempt,
            worker_id: None,
            started_at: None,
            ended_at: Some(Utc::now()),
            outcome: AttemptOutcome::Failed(FailureKind::Failed),
            error: Some("boom".into()),
        }
    }

    #[test]
    fn a_success_after_a_failure_is_read_from_the_row() {
        let mut r = row(2);
        r.is_completed = true;
        r.completed_at = Some(Utc::now());
        let h = history(vec![failed(1)], &r);
        let outcomes: Vec<_> = h.iter().map(|a| a.outcome.as_str()).collect();
        assert_eq!(outcomes, ["failed", "completed"]);
        assert_eq!(h[1].worker_id, r.worker_id);
        assert_eq!(h[1].ended_at, r.completed_at);
    }

    #[test]
    fn running_and_lapsed_runs_come_from_the_row() {
        let mut r = row(1);
        r.is_running = true;
        r.run_expires_at = Some(r.read_at + chrono::Duration::seconds(5));
        assert_eq!(history(vec![], &r)[0].outcome, AttemptOutcome::Running);
        r.run_expires_at = Some(r.read_at - chrono::Duration::seconds(5));
        assert_eq!(
            history(vec![], &r)[0].outcome,
            AttemptOutcome::Failed(FailureKind::LeaseExpired)
        );
    }

    #[test]
    fn recorded_runs_are_not_repeated_and_pending_rows_add_nothing() {
        let r = row(1);
        assert_eq!(history(vec![failed(1)], &r).len(), 1);
        assert!(history(vec![], &row(0)).is_empty());
    }

    #[test]
    fn outcomes_round_trip_through_their_names() {
        for o in [
            AttemptOutcome::Running,
            AttemptOutcome::Completed,
            AttemptOutcome::Canceled,
            AttemptOutcome::Released,
            AttemptOutcome::Failed(FailureKind::TimedOut),
            AttemptOutcome::Failed(FailureKind::LeaseExpired),
        ] {
            assert_eq!(AttemptOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(AttemptOutcome::parse("nonsense"), None);
    }
}
