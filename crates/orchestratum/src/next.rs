//! `Next`: a follow-up command returned by `on_success`, `on_failure` or `on_cancellation`.

use crate::command::Command;
use crate::error::Result;
use crate::push::{NewCommand, Planned, Push};

/// A follow-up, enqueued in the same transaction as the outcome that produced it.
///
/// It is serialized when made, so a test can look inside it (`testing::inspect`, feature
/// `testing`) and a failing `Serialize` shows up in the hook that made it.
#[derive(Debug)]
pub struct Next {
    /// The row but its default target, or why it cannot be built (reported when the outcome
    /// is written, in `last_error`).
    pub(crate) planned: Result<Planned>,
}

impl Next {
    /// A follow-up with the command type's defaults.
    pub fn new<C: Command>(command: C) -> Self {
        Self::with(command, Push::new())
    }

    /// A follow-up with per-push overrides (target, delay, timeout, retries).
    pub fn with<C: Command>(command: C, push: Push) -> Self {
        Self {
            planned: Planned::new(&command, push),
        }
    }

    /// Resolves the row to insert; `default_target` is the completing instance's key.
    pub(crate) fn into_new_command(self, default_target: &str) -> Result<NewCommand> {
        self.planned?.into_row(default_target)
    }
}
