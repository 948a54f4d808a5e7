//! `Push`: per-push overrides of target, delay, timeout, retries, priority and uniqueness, and
//! the row a push writes.

use std::time::Duration;

use uuid::Uuid;

use crate::command::Command;
use crate::error::{Error, Result};
use crate::record::State;

/// Longest unique key, in characters (MySQL indexes it as a `varchar(255)`).
pub const UNIQUE_KEY_MAX_CHARS: usize = 255;

/// What a push did: inserted a row, or found a live command with the same unique key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pushed {
    /// A new command was stored with this id.
    Inserted(Uuid),
    /// Nothing was inserted: the command with this id holds the unique key.
    Duplicate(Uuid),
}

impl Pushed {
    /// The id of the command inserted, or of the one that holds the key.
    pub fn id(self) -> Uuid {
        match self {
            Pushed::Inserted(id) | Pushed::Duplicate(id) => id,
        }
    }

    /// True when a new row was inserted.
    pub fn is_inserted(self) -> bool {
        matches!(self, Pushed::Inserted(_))
    }
}

/// The finished states a unique key stays taken in, as the bitmask stored in `unique_states`
/// (1 completed, 2 failed, 4 canceled). Unfinished states are always in the set, so they need
/// no bit; passing them changes nothing.
pub(crate) fn unique_states_mask(states: &[State]) -> i16 {
    states.iter().fold(0, |mask, state| {
        mask | match state {
            State::Completed => 1,
            State::Failed => 2,
            State::Canceled => 4,
            State::Pending | State::Scheduled | State::Waiting | State::Running => 0,
        }
    })
}

/// The finished states of a stored `unique_states` bitmask.
pub(crate) fn unique_states_of(mask: i16) -> Vec<State> {
    [
        (1, State::Completed),
        (2, State::Failed),
        (4, State::Canceled),
    ]
    .into_iter()
    .filter(|(bit, _)| mask & bit != 0)
    .map(|(_, state)| state)
    .collect()
}

/// Options of one push; anything left unset falls back to the command type's defaults.
#[derive(Debug, Clone, Default)]
pub struct Push {
    pub(crate) target: Option<String>,
    pub(crate) delay: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retries: Option<i32>,
    pub(crate) priority: Option<i16>,
    pub(crate) unique_key: Option<String>,
    pub(crate) unique_over: Option<Vec<State>>,
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

    /// Claimed before due commands of lower priority (higher first; default 0).
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Makes the push unique: while a command with this key is unfinished (or in a state
    /// given to [`Push::unique_over`]), pushing another inserts nothing and returns its id.
    /// At most [`UNIQUE_KEY_MAX_CHARS`] characters; the key is shared by every command name.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Finished states (`Completed`, `Failed`, `Canceled`) in which the key stays taken too;
    /// unfinished states always hold it. Default: none.
    pub fn unique_over(mut self, states: impl IntoIterator<Item = State>) -> Self {
        self.unique_over = Some(states.into_iter().collect());
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
    /// Claim order among due commands, higher first.
    pub priority: i16,
    /// Uniqueness key, if the push is unique.
    pub unique_key: Option<String>,
    /// Finished states the key stays taken in (bitmask, see `unique_states_mask`).
    pub unique_states: i16,
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
    pub priority: i16,
    pub unique_key: Option<String>,
    pub unique_states: i16,
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
            priority: command.priority(),
            unique_key: command.unique_key(),
            unique_states: unique_states_mask(&command.unique_over()),
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
            priority: 0,
            unique_key: None,
            unique_states: 0,
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
        let unique_key = push.unique_key.or(self.unique_key);
        if let Some(key) = &unique_key {
            check_text(&self.name, "unique key", key)?;
            if key.chars().count() > UNIQUE_KEY_MAX_CHARS {
                return Err(Error::InvalidText {
                    what: "unique key",
                    name: self.name.escape_default().to_string(),
                    value: key.chars().take(40).collect::<String>() + "…",
                    reason: "is longer than 255 characters",
                });
            }
        }
        Ok(Self {
            delay: push.delay.unwrap_or(self.delay),
            retries: push.retries.unwrap_or(self.retries),
            priority: push.priority.unwrap_or(self.priority),
            unique_states: push
                .unique_over
                .as_deref()
                .map_or(self.unique_states, unique_states_mask),
            unique_key,
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
            priority: self.priority,
            unique_key: self.unique_key,
            unique_states: self.unique_states,
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
