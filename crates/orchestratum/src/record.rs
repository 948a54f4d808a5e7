//! What a caller can read back about a command: `CommandRecord`, `State` and `Status`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Due and waiting for a worker.
    Pending,
    /// Waiting for its `scheduled_at` (a delay or a retry backoff).
    Scheduled,
    /// Claimed by a worker whose lease has not lapsed.
    Running,
    /// Finished with success; `output` is set.
    Completed,
    /// Failed for good: retries exhausted.
    Failed,
    /// Cancelled by a caller or by its handler.
    Canceled,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 6] = [
        State::Pending,
        State::Scheduled,
        State::Running,
        State::Completed,
        State::Failed,
        State::Canceled,
    ];

    /// True once nothing more will happen to the command.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Completed | State::Failed | State::Canceled)
    }

    /// The state's lowercase name, as the admin statements compute it (`pending`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Scheduled => "scheduled",
            State::Running => "running",
            State::Completed => "completed",
            State::Failed => "failed",
            State::Canceled => "canceled",
        }
    }

    /// Reads a lowercase state name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reference library's result statuses, as a caller sees a finished command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Completed.
    Success,
    /// Cancelled.
    Cancelled,
    /// Failed; its last run ended with an error, a panic or a bad input.
    Failed,
    /// The reference's status for a missing handler or row; never read from a stored row
    /// (an unknown id is [`crate::Error::NotFound`], a name without handler stays pending).
    NotFound,
    /// Failed; its last run exceeded the timeout.
    TimedOut,
}

/// How a run ended without success, kept in `last_outcome` beside `last_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The handler returned an error.
    Failed,
    /// The run exceeded its timeout.
    TimedOut,
    /// The handler panicked.
    Panicked,
    /// The stored input does not deserialize into the command type.
    BadInput,
    /// The worker's lease lapsed (the worker died or stalled).
    LeaseExpired,
    /// The handler discarded the command (`HandlerError::discard`): failed without retries.
    Discarded,
    /// The database refused to store the run's outcome (a value it cannot hold); the reason
    /// is in `last_error`.
    OutcomeRefused,
}

impl FailureKind {
    /// The value stored in the `last_outcome` column.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Failed => "failed",
            FailureKind::TimedOut => "timed_out",
            FailureKind::Panicked => "panicked",
            FailureKind::BadInput => "bad_input",
            FailureKind::LeaseExpired => "lease_expired",
            FailureKind::Discarded => "discarded",
            FailureKind::OutcomeRefused => "outcome_refused",
        }
    }

    /// Reads a stored `last_outcome` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "failed" => FailureKind::Failed,
            "timed_out" => FailureKind::TimedOut,
            "panicked" => FailureKind::Panicked,
            "bad_input" => FailureKind::BadInput,
            "lease_expired" => FailureKind::LeaseExpired,
            "discarded" => FailureKind::Discarded,
            "outcome_refused" => FailureKind::OutcomeRefused,
            _ => return None,
        })
    }
}

/// One row of the commands table, as stored.
#[derive(Debug, Clone)]
pub struct CommandRecord {
    /// Command id.
    pub id: Uuid,
    /// Instance key it is routed to.
    pub target: String,
    /// Stored command name.
    pub name: String,
    /// Input JSON.
    pub input: Option<String>,
    /// Output JSON, once completed.
    pub output: Option<String>,
    /// When it is (or was) due.
    pub scheduled_at: DateTime<Utc>,
    /// Run timeout.
    pub timeout: Duration,
    /// The `is_running` flag (true also while a lapsed lease waits to be reclaimed).
    pub is_running: bool,
    /// When the current or last run started.
    pub running_at: Option<DateTime<Utc>>,
    /// When the current lease lapses.
    pub run_expires_at: Option<DateTime<Utc>>,
    /// Completed flag.
    pub is_completed: bool,
    /// When it completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Cancelled flag.
    pub is_canceled: bool,
    /// When it was cancelled.
    pub canceled_at: Option<DateTime<Utc>>,
    /// Retries left; -1 once failed for good.
    pub retries_left: i32,
    /// Failed flag.
    pub is_failed: bool,
    /// When it failed for good.
    pub failed_at: Option<DateTime<Utc>>,
    /// Number of runs started so far.
    pub attempt: i32,
    /// Why the last run failed, if it did.
    pub last_error: Option<String>,
    /// How the last unsuccessful run ended.
    pub last_outcome: Option<FailureKind>,
    /// The command whose outcome enqueued this one.
    pub parent_id: Option<Uuid>,
    /// The worker that holds (or last held) its lease.
    pub worker_id: Option<Uuid>,
    /// When a cancellation was requested, if one was.
    pub cancel_requested_at: Option<DateTime<Utc>>,
    /// The database's clock when the row was read, to tell running from lapsed.
    pub read_at: DateTime<Utc>,
}

impl CommandRecord {
    /// The command's state, judged by the database's clock at read time.
    pub fn state(&self) -> State {
        if self.is_completed {
            State::Completed
        } else if self.is_failed {
            State::Failed
        } else if self.is_canceled {
            State::Canceled
        } else if self.is_running && self.run_expires_at.is_some_and(|t| t > self.read_at) {
            State::Running
        } else if self.scheduled_at > self.read_at {
            State::Scheduled
        } else {
            State::Pending
        }
    }

    /// The reference status of a finished command; `None` while it is not terminal.
    pub fn status(&self) -> Option<Status> {
        match self.state() {
            State::Completed => Some(Status::Success),
            State::Canceled => Some(Status::Cancelled),
            State::Failed if self.last_outcome == Some(FailureKind::TimedOut) => {
                Some(Status::TimedOut)
            }
            State::Failed => Some(Status::Failed),
            _ => None,
        }
    }
}
