//! Command types and handlers the conformance cases share. Every handler reports to a `Probe`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use orchestratum::{
    Canceled, Command, Context, Failure, Handler, HandlerError, HandlerResult, Next,
};
use serde::{Deserialize, Serialize};

use super::Probe;

/// Doubles a number.
#[derive(Debug, Serialize, Deserialize)]
pub struct SimpleCommand {
    pub n: u32,
}
impl Command for SimpleCommand {
    type Output = u32;
}
pub struct SimpleHandler(pub Arc<Probe>);
impl Handler for SimpleHandler {
    type Command = SimpleCommand;
    async fn execute(&self, cmd: SimpleCommand, ctx: Context) -> HandlerResult<u32> {
        self.0.record("simple", ctx.id(), ctx.attempt());
        Ok(cmd.n * 2)
    }
}

/// An order: succeeds with an order id, chains a confirmation; fails for a negative amount,
/// chains an admin notification.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProcessOrderCommand {
    pub amount: i64,
}
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct OrderResult {
    pub order_id: String,
}
impl Command for ProcessOrderCommand {
    type Output = OrderResult;
    fn on_success(&self, output: &OrderResult) -> Vec<Next> {
        vec![Next::new(SendConfirmationEmailCommand {
            order_id: output.order_id.clone(),
        })]
    }
    fn on_failure(&self, _: &Failure) -> Vec<Next> {
        vec![Next::new(NotifyAdminCommand {
            reason: format!("order of {} failed", self.amount),
        })]
    }
}
pub struct ProcessOrderHandler(pub Arc<Probe>);
impl Handler for ProcessOrderHandler {
    type Command = ProcessOrderCommand;
    async fn execute(&self, cmd: ProcessOrderCommand, ctx: Context) -> HandlerResult<OrderResult> {
        self.0.record("order", ctx.id(), ctx.attempt());
        if cmd.amount < 0 {
            return Err(HandlerError::fail(format!(
                "negative amount {}",
                cmd.amount
            )));
        }
        Ok(OrderResult {
            order_id: format!("order-{}", cmd.amount),
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SendConfirmationEmailCommand {
    pub order_id: String,
}
impl Command for SendConfirmationEmailCommand {
    type Output = ();
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NotifyAdminCommand {
    pub reason: String,
}
impl Command for NotifyAdminCommand {
    type Output = ();
}

/// Handles both e-mail-like commands by recording them.
pub struct MailHandler(pub Arc<Probe>);
impl Handler for MailHandler {
    type Command = SendConfirmationEmailCommand;
    async fn execute(&self, _: SendConfirmationEmailCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("confirmation_email", ctx.id(), ctx.attempt());
        Ok(())
    }
}
pub struct AdminHandler(pub Arc<Probe>);
impl Handler for AdminHandler {
    type Command = NotifyAdminCommand;
    async fn execute(&self, _: NotifyAdminCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("admin_email", ctx.id(), ctx.attempt());
        Ok(())
    }
}

/// Sleeps `millis`, or until its token fires; records "sleep_started", "sleep_done" and
/// "sleep_token_fired".
#[derive(Debug, Serialize, Deserialize)]
pub struct SleepCommand {
    pub millis: u64,
}
impl Command for SleepCommand {
    type Output = ();
    fn on_cancellation(&self, _: &Canceled) -> Vec<Next> {
        vec![Next::new(NotifyAdminCommand {
            reason: "sleep canceled".into(),
        })]
    }
}
pub struct SleepHandler(pub Arc<Probe>);
impl Handler for SleepHandler {
    type Command = SleepCommand;
    async fn execute(&self, cmd: SleepCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("sleep_started", ctx.id(), ctx.attempt());
        // Observe the token from a detached task, as spawned work would: the handler's own
        // future is dropped when the run is stopped.
        let (probe, token, id, attempt) =
            (self.0.clone(), ctx.token().clone(), ctx.id(), ctx.attempt());
        let watcher = tokio::spawn(async move {
            token.cancelled().await;
            probe.record("sleep_token_fired", id, attempt);
        });
        tokio::time::sleep(Duration::from_millis(cmd.millis)).await;
        watcher.abort();
        self.0.record("sleep_done", ctx.id(), ctx.attempt());
        Ok(())
    }
}

/// Always fails.
#[derive(Debug, Serialize, Deserialize)]
pub struct AlwaysFailsCommand;
impl Command for AlwaysFailsCommand {
    type Output = ();
}
pub struct AlwaysFailsHandler(pub Arc<Probe>);
impl Handler for AlwaysFailsHandler {
    type Command = AlwaysFailsCommand;
    async fn execute(&self, _: AlwaysFailsCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("always_fails", ctx.id(), ctx.attempt());
        let parsed: u32 = "not a number".parse()?;
        let _ = parsed;
        Ok(())
    }
}

/// Panics.
#[derive(Debug, Serialize, Deserialize)]
pub struct PanicsCommand;
impl Command for PanicsCommand {
    type Output = ();
}
pub struct PanicsHandler(pub Arc<Probe>);
impl Handler for PanicsHandler {
    type Command = PanicsCommand;
    async fn execute(&self, _: PanicsCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("panics", ctx.id(), ctx.attempt());
        panic!("handler exploded on purpose");
    }
}

/// Cancels itself from the handler.
#[derive(Debug, Serialize, Deserialize)]
pub struct SelfCancelCommand;
impl Command for SelfCancelCommand {
    type Output = ();
    fn on_failure(&self, _: &Failure) -> Vec<Next> {
        vec![Next::new(NotifyAdminCommand {
            reason: "self cancel".into(),
        })]
    }
}
pub struct SelfCancelHandler(pub Arc<Probe>);
impl Handler for SelfCancelHandler {
    type Command = SelfCancelCommand;
    async fn execute(&self, _: SelfCancelCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("self_cancel", ctx.id(), ctx.attempt());
        Err(HandlerError::cancel("nothing to do"))
    }
}

/// Has an explicit name.
#[derive(Debug, Serialize, Deserialize)]
pub struct RenamedCommand;
impl Command for RenamedCommand {
    type Output = ();
    fn name() -> Cow<'static, str> {
        "custom.renamed".into()
    }
}
pub struct RenamedHandler(pub Arc<Probe>);
impl Handler for RenamedHandler {
    type Command = RenamedCommand;
    async fn execute(&self, _: RenamedCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("renamed", ctx.id(), ctx.attempt());
        Ok(())
    }
}

/// No handler is ever registered for it.
#[derive(Debug, Serialize, Deserialize)]
pub struct UnhandledCommand;
impl Command for UnhandledCommand {
    type Output = ();
}

/// An older shape of `SimpleCommand`, stored under the same name: its input no longer fits.
#[derive(Debug, Serialize, Deserialize)]
pub struct SimpleV0Command {
    pub text: String,
}
impl Command for SimpleV0Command {
    type Output = u32;
    fn name() -> Cow<'static, str> {
        "simple".into()
    }
}

/// Fails, and its `on_failure` hook panics.
#[derive(Debug, Serialize, Deserialize)]
pub struct PanickyHookCommand;
impl Command for PanickyHookCommand {
    type Output = ();
    fn on_failure(&self, _: &Failure) -> Vec<Next> {
        panic!("hook exploded on purpose");
    }
}
pub struct PanickyHookHandler(pub Arc<Probe>);
impl Handler for PanickyHookHandler {
    type Command = PanickyHookCommand;
    async fn execute(&self, _: PanickyHookCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("panicky_hook", ctx.id(), ctx.attempt());
        Err(HandlerError::fail("fails so that on_failure runs"))
    }
}

/// Returns its text: input and output carry it as JSON, byte for byte.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct EchoCommand {
    pub text: String,
}
impl Command for EchoCommand {
    type Output = String;
}
pub struct EchoHandler(pub Arc<Probe>);
impl Handler for EchoHandler {
    type Command = EchoCommand;
    async fn execute(&self, cmd: EchoCommand, ctx: Context) -> HandlerResult<String> {
        self.0.record("echo", ctx.id(), ctx.attempt());
        Ok(cmd.text)
    }
}

/// A bulky input; no handler is ever registered for it.
#[derive(Debug, Serialize, Deserialize)]
pub struct PayloadCommand {
    pub seq: u32,
    pub text: String,
}
impl Command for PayloadCommand {
    type Output = ();
}

/// Succeeds at once, leaving a task that records it if the run's token ever fires.
#[derive(Debug, Serialize, Deserialize)]
pub struct WatchTokenCommand;
impl Command for WatchTokenCommand {
    type Output = ();
}
pub struct WatchTokenHandler(pub Arc<Probe>);
impl Handler for WatchTokenHandler {
    type Command = WatchTokenCommand;
    async fn execute(&self, _: WatchTokenCommand, ctx: Context) -> HandlerResult<()> {
        let (probe, token, id, attempt) =
            (self.0.clone(), ctx.token().clone(), ctx.id(), ctx.attempt());
        tokio::spawn(async move {
            token.cancelled().await;
            probe.record("watch_token_fired", id, attempt);
        });
        self.0.record("watch_token_done", ctx.id(), ctx.attempt());
        Ok(())
    }
}
