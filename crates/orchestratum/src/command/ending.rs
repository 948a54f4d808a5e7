//! Why a command ended without success, as its failure hooks see it: [`Failure`] for
//! `on_failure`, [`Canceled`] for `on_cancellation`.

use crate::record::FailureKind;

/// How a command failed for good, handed to [`crate::Command::on_failure`].
///
/// Public constructors let a unit test call a hook directly:
///
/// ```
/// use orchestratum::{Failure, FailureKind};
///
/// let failure = Failure::new(FailureKind::TimedOut, "timed out after 5s", 4);
/// assert_eq!(failure.kind(), Some(FailureKind::TimedOut));
/// assert_eq!((failure.error(), failure.attempts()), ("timed out after 5s", 4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    error: String,
    kind: Option<FailureKind>,
    attempts: u32,
}

impl Failure {
    /// A failure whose last run ended as `kind` with `error`, after `attempts` runs.
    pub fn new(kind: FailureKind, error: impl Into<String>, attempts: u32) -> Self {
        Self {
            error: error.into(),
            kind: Some(kind),
            attempts,
        }
    }

    /// The last run's error text, as stored in `last_error`; for a cancellation handed on by
    /// `on_cancellation`'s default, the cancellation's reason.
    pub fn error(&self) -> &str {
        &self.error
    }

    /// How the last run ended, as stored in `last_outcome`. `None` only for a cancellation
    /// handed on by `on_cancellation`'s default: a cancellation is not a failed run.
    pub fn kind(&self) -> Option<FailureKind> {
        self.kind
    }

    /// How many runs the command had (a claim that only found the command cancelled, or out of
    /// retries after a lapsed lease, is not a run).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// True when this is a cancellation handed on by `on_cancellation`'s default.
    pub fn is_cancellation(&self) -> bool {
        self.kind.is_none()
    }
}

/// Why a command was cancelled, handed to [`crate::Command::on_cancellation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canceled {
    reason: String,
    attempts: u32,
}

impl Canceled {
    /// A cancellation for `reason`, after `attempts` runs (0 when it never ran).
    pub fn new(reason: impl Into<String>, attempts: u32) -> Self {
        Self {
            reason: reason.into(),
            attempts,
        }
    }

    /// Who or what cancelled it: the handler's [`crate::HandlerError::cancel`] reason,
    /// `canceled by cancel()`, or `cancel requested` when a worker acted on a request.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// How many runs the command had before it was cancelled (0 when it never ran).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// The failure `on_cancellation`'s default hands to `on_failure`: the reason as its error,
/// no kind.
impl From<&Canceled> for Failure {
    fn from(canceled: &Canceled) -> Self {
        Self {
            error: canceled.reason.clone(),
            kind: None,
            attempts: canceled.attempts,
        }
    }
}
