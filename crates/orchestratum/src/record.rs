//! What a caller can read back about a command: `CommandRecord`, `State` and `Status`.
//! Each serializes (serde) and displays as its stored, snake_case names, as the CLI's `--json`
//! prints them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Due and waiting for a worker.
    Pending,
    /// Waiting for its `scheduled_at` (a delay or a retry backoff).
    Scheduled,
    /// A workflow step waiting for its parents to end.
    Waiting,
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
    pub const ALL: [State; 7] = [
        State::Pending,
        State::Scheduled,
        State::Waiting,
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
            State::Waiting => "waiting",
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 5] = [
        Status::Success,
        Status::Cancelled,
        Status::Failed,
        Status::NotFound,
        Status::TimedOut,
    ];

    /// The status's snake_case name (`success`, `timed_out`, …), as it serializes.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Cancelled => "cancelled",
            Status::Failed => "failed",
            Status::NotFound => "not_found",
            Status::TimedOut => "timed_out",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run ended without success, kept in `last_outcome` beside `last_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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

    /// Every kind, in declaration order.
    pub const ALL: [FailureKind; 7] = [
        FailureKind::Failed,
        FailureKind::TimedOut,
        FailureKind::Panicked,
        FailureKind::BadInput,
        FailureKind::LeaseExpired,
        FailureKind::Discarded,
        FailureKind::OutcomeRefused,
    ];

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

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the commands table, as stored.
///
/// It serializes as the CLI's `show --json` prints it: every column, plus `state` and `status`;
/// `input` and `output` as JSON values (text that does not parse stays a string), times in
/// RFC 3339, the timeout as `timeout_seconds`.
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
    /// Claim order among due commands, higher first.
    pub priority: i16,
    /// Uniqueness key, if it was pushed unique.
    pub unique_key: Option<String>,
    /// Finished states its key stays taken in (unfinished states always hold it).
    pub unique_over: Vec<State>,
    /// The workflow it is a step of, if it is one.
    pub workflow_id: Option<Uuid>,
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
        } else if crate::workflow::is_waiting(self.scheduled_at) {
            State::Waiting
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

impl Serialize for CommandRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The serialized shape: the columns in table order, with the computed state and status.
        #[derive(Serialize)]
        struct Json<'a> {
            id: Uuid,
            name: &'a str,
            target: &'a str,
            state: State,
            status: Option<Status>,
            input: serde_json::Value,
            output: serde_json::Value,
            scheduled_at: DateTime<Utc>,
            timeout_seconds: f64,
            is_running: bool,
            running_at: Option<DateTime<Utc>>,
            run_expires_at: Option<DateTime<Utc>>,
            is_completed: bool,
            completed_at: Option<DateTime<Utc>>,
            is_canceled: bool,
            canceled_at: Option<DateTime<Utc>>,
            retries_left: i32,
            is_failed: bool,
            failed_at: Option<DateTime<Utc>>,
            attempt: i32,
            last_error: Option<&'a str>,
            last_outcome: Option<FailureKind>,
            parent_id: Option<Uuid>,
            worker_id: Option<Uuid>,
            cancel_requested_at: Option<DateTime<Utc>>,
            priority: i16,
            unique_key: Option<&'a str>,
            unique_over: &'a [State],
            workflow_id: Option<Uuid>,
            read_at: DateTime<Utc>,
        }
        // Stored JSON as a value, so a reader sees objects, not escaped text; a row another
        // program wrote with text that is not JSON keeps it as a string.
        let json = |text: Option<&str>| match text {
            None => serde_json::Value::Null,
            Some(t) => {
                serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.to_owned()))
            }
        };
        // Destructured, so a column added to the record cannot be left out here unnoticed.
        let CommandRecord {
            id,
            target,
            name,
            input,
            output,
            scheduled_at,
            timeout,
            is_running,
            running_at,
            run_expires_at,
            is_completed,
            completed_at,
            is_canceled,
            canceled_at,
            retries_left,
            is_failed,
            failed_at,
            attempt,
            last_error,
            last_outcome,
            parent_id,
            worker_id,
            cancel_requested_at,
            priority,
            unique_key,
            unique_over,
            workflow_id,
            read_at,
        } = self;
        Json {
            id: *id,
            name,
            target,
            state: self.state(),
            status: self.status(),
            input: json(input.as_deref()),
            output: json(output.as_deref()),
            scheduled_at: *scheduled_at,
            timeout_seconds: timeout.as_secs_f64(),
            is_running: *is_running,
            running_at: *running_at,
            run_expires_at: *run_expires_at,
            is_completed: *is_completed,
            completed_at: *completed_at,
            is_canceled: *is_canceled,
            canceled_at: *canceled_at,
            retries_left: *retries_left,
            is_failed: *is_failed,
            failed_at: *failed_at,
            attempt: *attempt,
            last_error: last_error.as_deref(),
            last_outcome: *last_outcome,
            parent_id: *parent_id,
            worker_id: *worker_id,
            cancel_requested_at: *cancel_requested_at,
            priority: *priority,
            unique_key: unique_key.as_deref(),
            unique_over,
            workflow_id: *workflow_id,
            read_at: *read_at,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serialized name of a unit variant, as a plain string.
    fn serialized(value: impl Serialize) -> String {
        match serde_json::to_value(value).unwrap() {
            serde_json::Value::String(s) => s,
            other => panic!("not a string: {other}"),
        }
    }

    #[test]
    fn enums_serialize_and_display_as_their_stored_names() {
        for state in State::ALL {
            assert_eq!(serialized(state), state.as_str());
            assert_eq!(state.to_string(), state.as_str());
            assert_eq!(State::parse(&state.to_string()), Some(state));
        }
        for kind in FailureKind::ALL {
            assert_eq!(serialized(kind), kind.as_str());
            assert_eq!(kind.to_string(), kind.as_str());
            assert_eq!(FailureKind::parse(&kind.to_string()), Some(kind));
        }
        for status in Status::ALL {
            assert_eq!(serialized(status), status.as_str());
            assert_eq!(status.to_string(), status.as_str());
        }
        assert_eq!(Status::TimedOut.to_string(), "timed_out");
        assert_eq!(FailureKind::LeaseExpired.to_string(), "lease_expired");
    }

    #[test]
    fn record_serializes_every_column_with_state_and_status() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let record = CommandRecord {
            id: Uuid::nil(),
            target: "default".into(),
            name: "send_email".into(),
            input: Some(r#"{"to":"a@b"}"#.into()),
            output: Some("not json".into()),
            scheduled_at: at,
            timeout: Duration::from_millis(1500),
            is_running: false,
            running_at: Some(at),
            run_expires_at: None,
            is_completed: false,
            completed_at: None,
            is_canceled: false,
            canceled_at: None,
            retries_left: -1,
            is_failed: true,
            failed_at: Some(at),
            attempt: 4,
            last_error: Some("boom".into()),
            last_outcome: Some(FailureKind::TimedOut),
            parent_id: None,
            worker_id: Some(Uuid::nil()),
            cancel_requested_at: None,
            priority: 2,
            unique_key: Some("k".into()),
            unique_over: vec![State::Completed],
            workflow_id: None,
            read_at: at,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["state"], "failed");
        assert_eq!(json["status"], "timed_out");
        assert_eq!(json["input"]["to"], "a@b");
        assert_eq!(json["output"], "not json");
        assert_eq!(json["timeout_seconds"], 1.5);
        assert_eq!(json["last_outcome"], "timed_out");
        assert_eq!(json["scheduled_at"], "2026-01-02T03:04:05Z");
        assert_eq!(json["completed_at"], serde_json::Value::Null);
        assert_eq!(json["worker_id"], Uuid::nil().to_string());
        assert_eq!(json["priority"], 2);
        assert_eq!(json["unique_key"], "k");
        assert_eq!(json["unique_over"], serde_json::json!(["completed"]));
        assert_eq!(
            json.as_object().unwrap().len(),
            30,
            "every column, state and status"
        );
    }
}
