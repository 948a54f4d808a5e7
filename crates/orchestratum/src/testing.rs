//! The test kit (feature `testing`): unit-test a handler without a database, and look inside
//! the follow-ups a command's hooks return.
//!
//! - [`run`] runs a handler on a command, as a worker would, and returns its typed result;
//!   [`run_with`] takes a [`Context`] made by [`context`] (id, attempt, retries left, a token
//!   the test fires).
//! - [`inspect`] shows a [`Next`]'s stored name, input JSON and push options, so a test can
//!   assert "on success it chains X with input Y".
//! - Integration tests need no kit: `.database("sqlite::memory:")` gives each instance its own
//!   in-memory database, with a worker, that lasts until the instance is shut down or dropped.
//!
//! ```
//! use orchestratum::{Command, Context, Handler, HandlerResult, Next, testing};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct ResizeCommand { width: u32 }
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct NotifyCommand { width: u32 }
//! impl Command for NotifyCommand { type Output = (); }
//! impl Command for ResizeCommand {
//!     type Output = u32;
//!     fn on_success(&self, width: &u32) -> Vec<Next> {
//!         vec![Next::new(NotifyCommand { width: *width })]
//!     }
//! }
//!
//! struct ResizeHandler;
//! impl Handler for ResizeHandler {
//!     type Command = ResizeCommand;
//!     async fn execute(&self, cmd: ResizeCommand, ctx: Context) -> HandlerResult<u32> {
//!         Ok(cmd.width * ctx.attempt())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let cmd = ResizeCommand { width: 10 };
//! let ctx = testing::context().attempt(2).build();
//! let width = testing::run_with(&ResizeHandler, cmd, ctx).await.unwrap();
//! assert_eq!(width, 20);
//!
//! let nexts = ResizeCommand { width: 10 }.on_success(&width);
//! let next = testing::inspect(&nexts[0]);
//! assert_eq!(next.name(), "notify");
//! assert_eq!(next.input(), serde_json::json!({ "width": 20 }));
//! assert_eq!(next.command::<NotifyCommand>(), Some(NotifyCommand { width: 20 }));
//! # }
//! ```

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::Finished;
use crate::command::{Command, RETRIES_DEFAULT};
use crate::error::Error;
use crate::handler::registry::decode;
use crate::handler::{Context, Handler, HandlerResult};
use crate::next::Next;
use crate::push::Planned;
use crate::record::{CommandRecord, FailureKind, Status};
use crate::workflow::{ParentStep, Parents};

/// The row of a parent step that ended as `end`, as a test gives it.
fn parent_record<C: Command>(end: Finished<C::Output>) -> CommandRecord {
    let now = chrono::Utc::now();
    let mut record = CommandRecord {
        id: Uuid::now_v7(),
        target: "test".to_owned(),
        name: C::name().into_owned(),
        input: None,
        output: None,
        scheduled_at: now,
        timeout: crate::command::TIMEOUT_DEFAULT,
        is_running: false,
        running_at: Some(now),
        run_expires_at: None,
        is_completed: false,
        completed_at: None,
        is_canceled: false,
        canceled_at: None,
        retries_left: 0,
        is_failed: false,
        failed_at: None,
        attempt: 1,
        last_error: None,
        last_outcome: None,
        parent_id: None,
        worker_id: None,
        cancel_requested_at: None,
        priority: 0,
        unique_key: None,
        unique_over: Vec::new(),
        workflow_id: None,
        read_at: now,
    };
    match end {
        Finished::Completed(output) => {
            record.is_completed = true;
            record.completed_at = Some(now);
            record.output =
                Some(serde_json::to_string(&output).expect("a parent's output serializes"));
        }
        Finished::Failed { status, error } => {
            record.is_failed = true;
            record.failed_at = Some(now);
            record.retries_left = -1;
            record.last_error = error;
            record.last_outcome = Some(if status == Status::TimedOut {
                FailureKind::TimedOut
            } else {
                FailureKind::Failed
            });
        }
        Finished::Canceled { reason } => {
            record.is_canceled = true;
            record.canceled_at = Some(now);
            record.last_error = reason;
        }
    }
    record
}

/// Builds a [`Context`] for a test: a fresh id, name `test`, attempt 1, the default retries
/// left, and a token that fires only when the test cancels it.
pub fn context() -> ContextBuilder {
    ContextBuilder::default()
}

/// The parts of a test's [`Context`]; see [`context`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ContextBuilder {
    id: Uuid,
    name: Option<String>,
    attempt: u32,
    retries_left: i32,
    token: CancellationToken,
    parents: Vec<ParentStep>,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        Self {
            id: Uuid::now_v7(),
            name: None,
            attempt: 1,
            retries_left: i32::from(RETRIES_DEFAULT),
            token: CancellationToken::new(),
            parents: Vec::new(),
        }
    }
}

impl ContextBuilder {
    /// The command id the handler sees.
    pub fn id(mut self, id: Uuid) -> Self {
        self.id = id;
        self
    }

    /// The stored name the handler sees; [`run_with`] leaves a name set here alone and
    /// otherwise uses the command type's.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Which run this is: 1 for the first, 2 for the first retry, …
    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// Retries left as the run starts (0 on the last run).
    pub fn retries_left(mut self, retries_left: i32) -> Self {
        self.retries_left = retries_left;
        self
    }

    /// The run's token: keep a clone and `cancel()` it to play a timeout, `cancel()` or
    /// shutdown. (Cloning the built `Context` and calling `ctx.token().cancel()` does the same.)
    pub fn token(mut self, token: CancellationToken) -> Self {
        self.token = token;
        self
    }

    /// Makes the context a workflow step's with a parent step `key` of type `C` that ended as
    /// `end`: what [`Context::parents`] returns, for a join's or a batch callback's handler.
    /// Panics if a completed parent's output does not serialize (a test's own type).
    ///
    /// ```
    /// # use orchestratum::{Command, Finished, Status, testing};
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct ParseCommand;
    /// # impl Command for ParseCommand { type Output = u32; }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let ctx = testing::context()
    ///     .parent::<ParseCommand>("b", Finished::Completed(10))
    ///     .parent::<ParseCommand>("c", Finished::Failed { status: Status::Failed, error: None })
    ///     .build();
    /// let parents = ctx.parents().await.unwrap();
    /// assert_eq!(parents.output::<ParseCommand>("b").unwrap(), Some(10));
    /// assert_eq!(parents.output::<ParseCommand>("c").unwrap(), None);
    /// assert_eq!((parents.counts().succeeded, parents.counts().failed), (1, 1));
    /// # }
    /// ```
    pub fn parent<C: Command>(mut self, key: &str, end: Finished<C::Output>) -> Self {
        self.parents.push(ParentStep {
            key: Some(key.to_owned()),
            command: parent_record::<C>(end),
        });
        self
    }

    /// The context; named `test` unless [`ContextBuilder::name`] was called.
    pub fn build(self) -> Context {
        let step = !self.parents.is_empty();
        Context {
            id: self.id,
            name: self.name.unwrap_or_else(|| "test".to_owned()),
            attempt: self.attempt,
            retries_left: self.retries_left,
            token: self.token,
            workflow_id: step.then(Uuid::now_v7),
            link: None,
            test_parents: step.then(|| {
                std::sync::Arc::new(Parents {
                    steps: self.parents,
                })
            }),
        }
    }
}

/// Runs `handler` on `command` with a fresh test context (attempt 1, the command's retries
/// left, its type's name), and returns what the handler returned. See [`run_with`].
pub async fn run<H: Handler>(
    handler: &H,
    command: H::Command,
) -> HandlerResult<<H::Command as Command>::Output> {
    let ctx = context()
        .name(<H::Command as Command>::name())
        .retries_left(i32::from(command.retries()))
        .build();
    run_with(handler, command, ctx).await
}

/// Runs `handler` on `command` with the context `ctx`, and returns what the handler returned.
///
/// The command first makes the JSON round trip a worker's copy makes (serialized as a push
/// stores it, read back as a claim does), so a field serde skips or renames shows here. There is
/// no timeout and no lease: bound the run with `tokio::time::timeout`, and fire `ctx`'s token
/// to test how the handler stops.
///
/// # Panics
///
/// When the command does not survive that round trip: no worker could ever run it.
pub async fn run_with<H: Handler>(
    handler: &H,
    command: H::Command,
    ctx: Context,
) -> HandlerResult<<H::Command as Command>::Output> {
    let input = serde_json::to_string(&command).unwrap_or_else(|e| {
        panic!(
            "`{}` cannot be serialized, so it cannot be pushed: {e}",
            <H::Command as Command>::name()
        )
    });
    let command = decode::<H::Command>(&input).unwrap_or_else(|e| panic!("{e}"));
    handler.execute(command, ctx).await
}

/// Looks inside a follow-up: its stored name, input JSON and resolved push options.
///
/// # Panics
///
/// When the follow-up's command could not be serialized or has options no push accepts (a
/// zero timeout, a NUL in its name or target); [`try_inspect`] returns that error instead.
pub fn inspect(next: &Next) -> FollowUp<'_> {
    try_inspect(next).unwrap_or_else(|e| panic!("the follow-up cannot be enqueued: {e}"))
}

/// Looks inside a follow-up, or returns why it cannot be enqueued (the error a worker would
/// note in the parent's `last_error`).
pub fn try_inspect(next: &Next) -> Result<FollowUp<'_>, &Error> {
    next.planned.as_ref().map(|planned| FollowUp { planned })
}

/// A follow-up as it will be enqueued: the push's overrides over its type's defaults.
#[derive(Debug, Clone, Copy)]
pub struct FollowUp<'a> {
    planned: &'a Planned,
}

impl<'a> FollowUp<'a> {
    /// The stored command name (`send_email`).
    pub fn name(&self) -> &'a str {
        &self.planned.name
    }

    /// The input as stored, JSON text.
    pub fn input_json(&self) -> &'a str {
        &self.planned.input
    }

    /// The input as a JSON value, to compare with `serde_json::json!`.
    pub fn input(&self) -> serde_json::Value {
        // The text was made by serde_json from a value, so it parses.
        serde_json::from_str(&self.planned.input).unwrap_or(serde_json::Value::Null)
    }

    /// The follow-up as a `C`: `None` when it is another type's command (by stored name) or its
    /// input does not read as a `C`.
    pub fn command<C: Command>(&self) -> Option<C> {
        (self.planned.name == C::name())
            .then(|| serde_json::from_str(&self.planned.input).ok())
            .flatten()
    }

    /// The target it is routed to; `None` means the key of the instance that writes the
    /// outcome enqueuing it.
    pub fn target(&self) -> Option<&'a str> {
        self.planned.target.as_deref()
    }

    /// How long after its parent's outcome it becomes due.
    pub fn delay(&self) -> Duration {
        self.planned.delay
    }

    /// Its run timeout.
    pub fn timeout(&self) -> Duration {
        self.planned.timeout
    }

    /// How many failed runs are retried.
    pub fn retries(&self) -> u16 {
        // Made from a `u16` by `Push::retries` or `Command::retries`.
        u16::try_from(self.planned.retries).unwrap_or(u16::MAX)
    }

    /// Its priority (higher is claimed first).
    pub fn priority(&self) -> i16 {
        self.planned.priority
    }

    /// Its unique key, if it is unique.
    pub fn unique_key(&self) -> Option<&str> {
        self.planned.unique_key.as_deref()
    }

    /// The finished states its key stays taken in.
    pub fn unique_over(&self) -> Vec<crate::State> {
        crate::push::unique_states_of(self.planned.unique_states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Push;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct PingCommand;
    impl Command for PingCommand {
        type Output = ();
    }

    #[test]
    fn a_bad_follow_up_is_reported_not_hidden() {
        let next = Next::with(PingCommand, Push::new().timeout(Duration::ZERO));
        assert!(matches!(
            try_inspect(&next),
            Err(Error::InvalidDuration { .. })
        ));
        let next = Next::with(PingCommand, Push::new().target("a\0b"));
        assert!(matches!(try_inspect(&next), Err(Error::InvalidText { .. })));
        let next = Next::with(PingCommand, Push::new().unique_key("k".repeat(256)));
        assert!(matches!(try_inspect(&next), Err(Error::InvalidText { .. })));
    }

    #[test]
    fn a_follow_up_shows_its_priority_and_key() {
        let next = Next::with(
            PingCommand,
            Push::new()
                .priority(-4)
                .unique_key("ping:1")
                .unique_over([crate::State::Failed, crate::State::Pending]),
        );
        let f = try_inspect(&next).unwrap();
        assert_eq!(f.priority(), -4);
        assert_eq!(f.unique_key(), Some("ping:1"));
        assert_eq!(f.unique_over(), vec![crate::State::Failed]);
        let plain = Next::new(PingCommand);
        let f = try_inspect(&plain).unwrap();
        assert_eq!((f.priority(), f.unique_key()), (0, None));
    }
}
