//! `Next`: a follow-up command returned by `on_success`, `on_failure` or `on_cancellation`.

use crate::command::Command;
use crate::error::Result;
use crate::push::{NewCommand, Push};

/// Builds the follow-up's row once the completing instance's key is known.
type BuildRow = Box<dyn FnOnce(&str) -> Result<NewCommand> + Send>;

/// A follow-up, enqueued in the same transaction as the outcome that produced it.
pub struct Next {
    build: BuildRow,
}

impl Next {
    /// A follow-up with the command type's defaults.
    pub fn new<C: Command>(command: C) -> Self {
        Self::with(command, Push::new())
    }

    /// A follow-up with per-push overrides (target, delay, timeout, retries).
    pub fn with<C: Command>(command: C, push: Push) -> Self {
        Self {
            build: Box::new(move |default_target| {
                NewCommand::build(&command, push, default_target)
            }),
        }
    }

    /// Resolves the row to insert; `default_target` is the completing instance's key.
    pub(crate) fn into_new_command(self, default_target: &str) -> Result<NewCommand> {
        (self.build)(default_target)
    }
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}
