//! `Push`: per-push overrides of target, delay, timeout and retries, and the row a push writes.

use std::time::Duration;

use uuid::Uuid;

use crate::command::Command;
use crate::error::{Error, Result};

/// Options of one push; anything left unset falls back to the command type's defaults.
#[derive(Debug, Clone, Default)]
pub struct Push {
    pub(crate) target: Option<String>,
    pub(crate) delay: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retries: Option<i32>,
}

impl Push {
    /// Options with nothing overridden.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes the command to the instances whose instance key is `target`.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Runs the command no earlier than `delay` from now (database clock).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Cancels a run that takes longer than `timeout`; must be greater than zero.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times a failed run is retried (so at most `retries + 1` runs).
    pub fn retries(mut self, retries: u16) -> Self {
        self.retries = Some(i32::from(retries));
        self
    }
}

/// A command ready to be inserted: what every backend's push statement writes.
#[derive(Debug, Clone)]
pub struct NewCommand {
    /// Fresh UUIDv7, so inserts land at the end of the primary key index.
    pub id: Uuid,
    /// Instance key that may claim it.
    pub target: String,
    /// Stored command name.
    pub name: String,
    /// Input as JSON text.
    pub input: String,
    /// Delay before it becomes due.
    pub delay: Duration,
    /// Run timeout.
    pub timeout: Duration,
    /// Retries left before the first run.
    pub retries: i32,
    /// The command whose outcome enqueued this one, if any.
    pub parent_id: Option<Uuid>,
}

impl NewCommand {
    /// Serializes `command` and resolves its options: push overrides, then the type's defaults,
    /// then `default_target` (the pushing instance's key).
    pub fn build<C: Command>(command: &C, push: Push, default_target: &str) -> Result<Self> {
        let name = C::name().into_owned();
        let input = serde_json::to_string(command).map_err(|source| Error::Serialize {
            what: "input",
            name: name.clone(),
            source,
        })?;
        let timeout = push.timeout.unwrap_or_else(|| command.timeout());
        if timeout.is_zero() {
            return Err(Error::InvalidDuration {
                what: "timeout",
                name,
                value: timeout,
                reason: "must be greater than zero",
            });
        }
        let target = push
            .target
            .or_else(|| command.target())
            .unwrap_or_else(|| default_target.to_owned());
        for (what, text) in [("name", &name), ("target", &target)] {
            if text.contains('\0') {
                return Err(Error::InvalidText {
                    what,
                    name: name.escape_default().to_string(),
                    value: text.escape_default().to_string(),
                    reason: "contains a NUL character, which PostgreSQL cannot store in text",
                });
            }
        }
        Ok(Self {
            id: Uuid::now_v7(),
            target,
            delay: push.delay.unwrap_or_else(|| command.delay()),
            timeout,
            retries: push.retries.unwrap_or_else(|| i32::from(command.retries())),
            name,
            input,
            parent_id: None,
        })
    }
}
