//! The `Command` trait: a serde type whose value is the command's input, with its output type,
//! per-type defaults and chain hooks.

mod ending;
pub mod name;

pub use self::ending::{Canceled, Failure};

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::next::Next;
use crate::record::State;

/// Default run timeout of a command type (reference default).
pub const TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);
/// Default number of retries of a command type (reference default).
pub const RETRIES_DEFAULT: u16 = 3;

/// A unit of background work. The value itself is the input, stored as JSON.
///
/// ```
/// use orchestratum::{Command, Next};
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Serialize, Deserialize)]
/// struct SendEmailCommand { to: String }
/// impl Command for SendEmailCommand { type Output = (); }
///
/// #[derive(Serialize, Deserialize)]
/// struct GenerateReportCommand { id: u32 }
/// impl Command for GenerateReportCommand {
///     type Output = String;
///     fn timeout(&self) -> Duration { Duration::from_secs(600) }
///     fn on_success(&self, output: &String) -> Vec<Next> {
///         vec![Next::new(SendEmailCommand { to: format!("admin+{output}@example.com") })]
///     }
/// }
/// assert_eq!(SendEmailCommand::name(), "send_email");
/// ```
pub trait Command: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// What a successful run produces; stored as JSON and handed to [`Command::on_success`].
    type Output: Serialize + DeserializeOwned + Send + 'static;

    /// Stored name; by convention the type name without `Command`, in snake_case.
    /// Override it to keep a stable name across renames.
    fn name() -> Cow<'static, str> {
        Cow::Owned(name::convention(std::any::type_name::<Self>()))
    }

    /// Longest a run may take before it is cancelled and counted as a failure.
    fn timeout(&self) -> Duration {
        TIMEOUT_DEFAULT
    }

    /// How many failed runs are retried before the command is failed for good.
    fn retries(&self) -> u16 {
        RETRIES_DEFAULT
    }

    /// How long after the push the command becomes due.
    fn delay(&self) -> Duration {
        Duration::ZERO
    }

    /// Instance key to route to; `None` means the pushing instance's key.
    fn target(&self) -> Option<String> {
        None
    }

    /// Claim order among due commands, higher first (default 0).
    fn priority(&self) -> i16 {
        0
    }

    /// Uniqueness key derived from the input: while a command with this key is unfinished
    /// (or in a state of [`Command::unique_over`]), pushing another returns its id instead of
    /// inserting. Keys are shared by every command name: include the name to keep types apart.
    /// `None` (the default): not unique.
    fn unique_key(&self) -> Option<String> {
        None
    }

    /// Finished states (`Completed`, `Failed`, `Canceled`) in which the key stays taken too;
    /// unfinished states always hold it. Default: none.
    fn unique_over(&self) -> Vec<State> {
        Vec::new()
    }

    /// Wait before retry number `attempt` (1 for the first retry). `None` (the default) uses
    /// the instance's [`crate::Builder::retry_backoff`], which retries at once, as the
    /// reference does, unless set. A ready policy in one line:
    /// `Some(Backoff::exponential(Duration::from_secs(1)).max(Duration::from_secs(60)).jitter(0.1).delay(attempt))`.
    fn retry_delay(&self, attempt: u32) -> Option<Duration> {
        let _ = attempt;
        None
    }

    /// Follow-ups enqueued when the command succeeds.
    fn on_success(&self, output: &Self::Output) -> Vec<Next> {
        let _ = output;
        Vec::new()
    }

    /// Follow-ups enqueued when the command fails for good (retries exhausted, or discarded);
    /// `failure` has the last run's error, how it ended and how many runs there were.
    fn on_failure(&self, failure: &Failure) -> Vec<Next> {
        let _ = failure;
        Vec::new()
    }

    /// Follow-ups enqueued when the command is cancelled; `canceled` has the reason. By default
    /// those of `on_failure`, given the reason as a [`Failure`] without a kind.
    fn on_cancellation(&self, canceled: &Canceled) -> Vec<Next> {
        self.on_failure(&Failure::from(canceled))
    }
}
