//! The `Handler` trait, how a run ends (`HandlerResult`), and the `Context` a run receives.

pub mod registry;
pub mod transaction;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use uuid::Uuid;

pub use self::transaction::CompletionTransaction;
use crate::client::Shared;
use crate::command::Command;
use crate::runtime::RunControl;
use crate::workflow::Parents;

/// How a handler ends: `Ok(output)` is success; any error is a failure (retried), unless it is
/// [`HandlerError::cancel`], which cancels the command without retry.
pub type HandlerResult<T> = Result<T, HandlerError>;

/// Runs one command type. A struct that holds its dependencies (the Rust form of the
/// reference's dependency injection).
///
/// ```
/// use orchestratum::{Command, Context, Handler, HandlerResult};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct ResizeCommand { width: u32 }
/// impl Command for ResizeCommand { type Output = u32; }
///
/// struct ResizeHandler;
/// impl Handler for ResizeHandler {
///     type Command = ResizeCommand;
///     async fn execute(&self, cmd: ResizeCommand, _ctx: Context) -> HandlerResult<u32> {
///         let parsed: u32 = "2".parse()?; // `?` on any error is a failure
///         Ok(cmd.width * parsed)
///     }
/// }
/// ```
pub trait Handler: Send + Sync + 'static {
    /// The command type this handler runs.
    type Command: Command;

    /// Runs one command. When the run times out, is cancelled, loses its lease or is stopped by
    /// shutdown, `ctx.cancelled()` fires; the handler then has the instance's cancel grace to
    /// clean up and return (what it returns is ignored), and its future is dropped after it.
    fn execute(
        &self,
        command: Self::Command,
        ctx: Context,
    ) -> impl Future<Output = HandlerResult<<Self::Command as Command>::Output>> + Send;
}

/// Why a handler did not succeed.
pub struct HandlerError {
    kind: HandlerErrorKind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandlerErrorKind {
    Failed,
    Discarded,
    Cancelled,
}

impl HandlerError {
    /// A failure: the command is retried while it has retries left.
    pub fn fail(message: impl fmt::Display) -> Self {
        Self {
            kind: HandlerErrorKind::Failed,
            message: message.to_string(),
        }
    }

    /// A failure for good: no retry, whatever retries are left. The command ends failed
    /// (`last_outcome = discarded`), with its `on_failure` follow-ups. For inputs that can never
    /// succeed (a deleted account, a malformed address).
    pub fn discard(reason: impl fmt::Display) -> Self {
        Self {
            kind: HandlerErrorKind::Discarded,
            message: reason.to_string(),
        }
    }

    /// A cancellation: the command ends canceled, with its `on_cancellation` follow-ups.
    pub fn cancel(reason: impl fmt::Display) -> Self {
        Self {
            kind: HandlerErrorKind::Cancelled,
            message: reason.to_string(),
        }
    }

    /// True when the handler asked for cancellation.
    pub fn is_cancel(&self) -> bool {
        self.kind == HandlerErrorKind::Cancelled
    }

    /// True when the handler discarded the command ([`HandlerError::discard`]).
    pub fn is_discard(&self) -> bool {
        self.kind == HandlerErrorKind::Discarded
    }

    pub(crate) fn into_parts(self) -> (HandlerErrorKind, String) {
        (self.kind, self.message)
    }
}

/// `?` on any error makes the run a failure, and the error's chain (`outer: cause: root`)
/// becomes `last_error`. "Any error" is whatever converts into a boxed error: every
/// `std::error::Error + Send + Sync`, and also `anyhow::Error` (whose chain reads as its `{:#}`),
/// `Box<dyn Error + Send + Sync>`, `String` and `&str`.
///
/// The bound is `Into<Box<dyn Error>>` rather than `Error` because `anyhow::Error` does not
/// implement `Error`, and a second `From<anyhow::Error>` impl beside an `E: Error` blanket is
/// refused by coherence (anyhow could add the impl). It holds only while `HandlerError` itself
/// implements no `Error`.
impl<E> From<E> for HandlerError
where
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    fn from(error: E) -> Self {
        let error: Box<dyn std::error::Error + Send + Sync> = error.into();
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::fail(message)
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({:?})", self.kind, self.message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a run knows about itself.
#[derive(Debug, Clone)]
pub struct Context {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) attempt: u32,
    pub(crate) retries_left: i32,
    pub(crate) token: CancellationToken,
    pub(crate) workflow_id: Option<Uuid>,
    /// The instance running it; `None` for a context made by the `testing` module.
    pub(crate) link: Option<RunLink>,
    /// The parents a test gave the `testing` module's context (`None` at run time).
    pub(crate) test_parents: Option<Arc<Parents>>,
}

/// What a run's context reaches of the instance that runs it.
#[derive(Clone)]
pub(crate) struct RunLink {
    pub shared: Arc<Shared>,
    /// The claim's fencing token.
    pub lease_token: Uuid,
    /// The run's switch, where a completion in the handler's own transaction is recorded.
    pub control: Arc<RunControl>,
}

impl fmt::Debug for RunLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunLink")
            .field("lease_token", &self.lease_token)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The command's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The command's stored name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which run this is: 1 for the first, 2 for the first retry, …
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Retries left as this run starts; a failure of this run leaves one fewer.
    pub fn retries_left(&self) -> i32 {
        self.retries_left
    }

    /// Resolves when the run is being stopped (timeout, cancel, lost lease, shutdown).
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// True once the run is being stopped.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The token itself, to hand to spawned work.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// The workflow this command is a step of, if it is one.
    pub fn workflow_id(&self) -> Option<Uuid> {
        self.workflow_id
    }

    /// Begins a transaction on the store's database in which the handler writes its own rows
    /// and then completes the command ([`CompletionTransaction::complete`]): its writes, the
    /// completion, the success follow-ups and the workflow steps it releases commit together,
    /// or nothing does (if the lease was lost meanwhile, `complete` returns
    /// [`Error::LeaseLost`](crate::Error::LeaseLost)). Dropped without `complete`, it rolls
    /// back. It holds one pool connection until it ends (on SQLite, the write lock).
    ///
    /// `Error::TransactionUnavailable` for a context made by the `testing` module (no
    /// database), or once this run has already completed its command this way.
    ///
    /// ```no_run
    /// use orchestratum::{Command, Context, Handler, HandlerResult};
    /// # use serde::{Deserialize, Serialize};
    /// #[derive(Serialize, Deserialize)]
    /// struct MarkPaidCommand { order_id: i64 }
    /// impl Command for MarkPaidCommand { type Output = i64; }
    ///
    /// struct MarkPaidHandler;
    /// impl Handler for MarkPaidHandler {
    ///     type Command = MarkPaidCommand;
    ///     async fn execute(&self, cmd: MarkPaidCommand, ctx: Context) -> HandlerResult<i64> {
    ///         let mut tx = ctx.transaction().await?;
    ///         sqlx::query("UPDATE orders SET paid = true WHERE id = $1")
    ///             .bind(cmd.order_id)
    ///             .execute(tx.postgres()?)
    ///             .await?;
    ///         tx.complete(&cmd, &cmd.order_id).await?;
    ///         Ok(cmd.order_id)
    ///     }
    /// }
    /// ```
    pub async fn transaction(&self) -> crate::Result<CompletionTransaction> {
        CompletionTransaction::begin(self).await
    }

    /// The parent steps of this step, with their rows (typed outputs through
    /// [`Parents::output`], a batch's tally through [`Parents::counts`]); read from the
    /// database at each call, empty for a command that is not a step.
    ///
    /// ```
    /// use orchestratum::{Command, Context, Handler, HandlerResult};
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize)] struct ParseCommand;
    /// # impl Command for ParseCommand { type Output = u32; }
    /// # #[derive(Serialize, Deserialize)] struct MergeCommand;
    /// # impl Command for MergeCommand { type Output = u32; }
    /// struct MergeHandler;
    /// impl Handler for MergeHandler {
    ///     type Command = MergeCommand;
    ///     async fn execute(&self, _: MergeCommand, ctx: Context) -> HandlerResult<u32> {
    ///         let parents = ctx.parents().await?;
    ///         let b = parents.output::<ParseCommand>("b")?.unwrap_or(0);
    ///         let c = parents.output::<ParseCommand>("c")?.unwrap_or(0);
    ///         Ok(b + c)
    ///     }
    /// }
    /// ```
    pub async fn parents(&self) -> crate::Result<Parents> {
        match (&self.link, self.workflow_id) {
            (Some(link), Some(_)) => link.shared.store.parents(self.id).await,
            _ => Ok(self.test_parents.as_deref().cloned().unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure_text(result: Result<(), HandlerError>) -> String {
        let error = result.unwrap_err();
        assert_eq!(error.kind, HandlerErrorKind::Failed);
        error.to_string()
    }

    #[test]
    fn question_mark_on_anyhow_keeps_the_whole_chain() {
        use anyhow::Context as _;
        let run = || -> HandlerResult<()> {
            "x".parse::<u32>()
                .context("reading the width")
                .context("resizing")?;
            Ok(())
        };
        let anyhow_text = format!(
            "{:#}",
            "x".parse::<u32>()
                .context("reading the width")
                .context("resizing")
                .unwrap_err()
        );
        assert_eq!(failure_text(run()), anyhow_text);
        assert_eq!(
            anyhow_text,
            "resizing: reading the width: invalid digit found in string"
        );
    }

    #[test]
    fn question_mark_on_std_errors_strings_and_boxes() {
        let io = || -> HandlerResult<()> {
            Err(std::io::Error::other("disk full"))?;
            Ok(())
        };
        assert_eq!(failure_text(io()), "disk full");
        let text = || -> HandlerResult<()> {
            Err(format!("bad row {}", 3))?;
            Ok(())
        };
        assert_eq!(failure_text(text()), "bad row 3");
        let boxed = || -> HandlerResult<()> {
            let e: Box<dyn std::error::Error + Send + Sync> = "boxed".into();
            Err(e)?;
            Ok(())
        };
        assert_eq!(failure_text(boxed()), "boxed");
    }

    #[test]
    fn kinds_are_told_apart() {
        assert!(HandlerError::cancel("c").is_cancel());
        assert!(HandlerError::discard("d").is_discard());
        let fail = HandlerError::fail("f");
        assert!(!fail.is_cancel() && !fail.is_discard());
    }
}
