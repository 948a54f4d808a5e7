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

/// A command ready to be inserted: what every backend's push statement writes (part of the
/// store seam, no semver promise).
#[doc(hidden)]
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
        Planned::new(command, push)?.into_row(default_target)
    }
}

/// A command serialized and its options resolved, all but the default target: what a
/// follow-up ([`crate::Next`]) holds until the completing instance's key is known.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub name: String,
    pub input: String,
    /// `None`: the completing (or pushing) instance's key.
    pub target: Option<String>,
    pub delay: Duration,
    pub timeout: Duration,
    pub retries: i32,
}

impl Planned {
    /// Serializes `command` and resolves push overrides, then the type's defaults.
    pub(crate) fn new<C: Command>(command: &C, push: Push) -> Result<Self> {
        let name = C::name().into_owned();
        let input = serde_json::to_string(command).map_err(|source| Error::Serialize {
            what: "input",
            name: name.clone(),
            source,
        })?;
        let defaults = Self {
            name,
            input,
            target: command.target(),
            delay: command.delay(),
            timeout: command.timeout(),
            retries: i32::from(command.retries()),
        };
        defaults.overridden(push)
    }

    /// A command known only by its stored name and JSON input (a tool's push): push
    /// overrides, then the library's defaults.
    pub(crate) fn raw(name: &str, input: &str, push: Push) -> Result<Self> {
        if let Err(source) = serde_json::from_str::<serde_json::Value>(input) {
            return Err(Error::Serialize {
                what: "input",
                name: name.to_owned(),
                source,
            });
        }
        let defaults = Self {
            name: name.to_owned(),
            input: input.to_owned(),
            target: None,
            delay: Duration::ZERO,
            timeout: crate::command::TIMEOUT_DEFAULT,
            retries: i32::from(crate::command::RETRIES_DEFAULT),
        };
        defaults.overridden(push)
    }

    /// These defaults with the push's overrides, checked.
    fn overridden(self, push: Push) -> Result<Self> {
        let timeout = push.timeout.unwrap_or(self.timeout);
        if timeout.is_zero() {
            return Err(Error::InvalidDuration {
                what: "timeout",
                name: self.name,
                value: timeout,
                reason: "must be greater than zero",
            });
        }
        let target = push.target.or(self.target);
        check_text(&self.name, "name", &self.name)?;
        if let Some(target) = &target {
            check_text(&self.name, "target", target)?;
        }
        Ok(Self {
            delay: push.delay.unwrap_or(self.delay),
            retries: push.retries.unwrap_or(self.retries),
            target,
            timeout,
            ..self
        })
    }

    /// The row to insert, with a fresh id; `default_target` is used when none was given.
    pub(crate) fn into_row(self, default_target: &str) -> Result<NewCommand> {
        let target = match self.target {
            Some(target) => target,
            None => {
                check_text(&self.name, "target", default_target)?;
                default_target.to_owned()
            }
        };
        Ok(NewCommand {
            id: Uuid::now_v7(),
            target,
            name: self.name,
            input: self.input,
            delay: self.delay,
            timeout: self.timeout,
            retries: self.retries,
            parent_id: None,
        })
    }
}

/// Refuses text PostgreSQL cannot store.
fn check_text(name: &str, what: &'static str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::InvalidText {
            what,
            name: name.escape_default().to_string(),
            value: text.escape_default().to_string(),
            reason: "contains a NUL character, which PostgreSQL cannot store in text",
        });
    }
    Ok(())
}
