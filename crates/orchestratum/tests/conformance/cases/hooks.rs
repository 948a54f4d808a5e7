//! The failure hooks see why (issue 10): `on_failure` gets the last error, its kind and the
//! number of runs; `on_cancellation` its reason and the number of runs; by default a
//! cancellation reaches `on_failure` without a kind. Each hook reports what it saw as a
//! follow-up nobody handles, read back with `Client::follow_ups`.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::store::ClaimParams;
use orchestratum::{
    Canceled, Cancellation, Client, Command, Context, Failure, Handler, HandlerError,
    HandlerResult, Next, Push, State,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::support::{Probe, TestDb, eventually, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);
/// How long a stopped `Hang` run is kept before it is dropped.
const GRACE: Duration = Duration::from_millis(100);

/// What a hook saw. No handler is registered for it, so it stays pending where its parent's
/// outcome put it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct SawCommand {
    hook: String,
    error: String,
    kind: Option<String>,
    attempts: u32,
}
impl Command for SawCommand {
    type Output = ();
}

/// How a `ReportingCommand` run ends.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Mode {
    /// Fails every run with "attempt N failed".
    Fail,
    /// Discards at once.
    Discard,
    /// Sleeps far past any timeout, ignoring its token, until the worker drops it after the
    /// cancel grace. (A handler that returns `Ok` as its token fires can race the stop: see the
    /// executor.)
    Hang,
    /// Fails its first run, cancels itself on its second.
    CancelOnSecond,
}

/// Runs as its mode says; both hooks report what they saw.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportingCommand {
    mode: Mode,
}
impl Command for ReportingCommand {
    type Output = ();
    fn on_failure(&self, failure: &Failure) -> Vec<Next> {
        vec![Next::new(SawCommand {
            hook: "on_failure".into(),
            error: failure.error().into(),
            kind: failure.kind().map(|k| k.to_string()),
            attempts: failure.attempts(),
        })]
    }
    fn on_cancellation(&self, canceled: &Canceled) -> Vec<Next> {
        vec![Next::new(SawCommand {
            hook: "on_cancellation".into(),
            error: canceled.reason().into(),
            kind: None,
            attempts: canceled.attempts(),
        })]
    }
}
pub struct ReportingHandler(pub Arc<Probe>);
impl Handler for ReportingHandler {
    type Command = ReportingCommand;
    async fn execute(&self, cmd: ReportingCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("reporting", ctx.id(), ctx.attempt());
        match cmd.mode {
            Mode::Fail => Err(HandlerError::fail(format!(
                "attempt {} failed",
                ctx.attempt()
            ))),
            Mode::Discard => Err(HandlerError::discard("no such account")),
            Mode::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            }
            Mode::CancelOnSecond if ctx.attempt() < 2 => Err(HandlerError::fail("first run")),
            Mode::CancelOnSecond => Err(HandlerError::cancel("enough after two runs")),
        }
    }
}

/// Overrides only `on_failure`: a cancellation reaches it through `on_cancellation`'s default.
#[derive(Debug, Serialize, Deserialize)]
pub struct FailureOnlyCommand;
impl Command for FailureOnlyCommand {
    type Output = ();
    fn on_failure(&self, failure: &Failure) -> Vec<Next> {
        ReportingCommand { mode: Mode::Fail }.on_failure(failure)
    }
}

/// The one `SawCommand` that `parent`'s outcome enqueued.
async fn saw(client: &Client, parent: Uuid) -> SawCommand {
    let record = wait_terminal(client, parent).await;
    let children = client.follow_ups(parent).await.unwrap();
    assert_eq!(children.len(), 1, "one follow-up of {record:?}");
    assert_eq!(children[0].name, "saw");
    assert_eq!(children[0].parent_id, Some(parent));
    serde_json::from_str(children[0].input.as_deref().unwrap()).unwrap()
}

fn expect(hook: &str, error: &str, kind: Option<&str>, attempts: u32) -> SawCommand {
    SawCommand {
        hook: hook.into(),
        error: error.into(),
        kind: kind.map(Into::into),
        attempts,
    }
}

pub async fn on_failure_sees_the_last_error_kind_and_attempts(db: TestDb) {
    let probe = Probe::new();
    // A worker that claimed the command and died: its lease lapses, and no retry is left.
    let client = db.client().await;
    let lapsed = client
        .push_with(
            ReportingCommand { mode: Mode::Fail },
            Push::new().retries(0),
        )
        .await
        .unwrap();
    let names = vec!["reporting".to_owned()];
    let params = ClaimParams {
        target: "test",
        names: &names,
        limit: 1,
        lease: Duration::from_millis(300),
        worker: Uuid::now_v7(),
    };
    assert_eq!(client.store().claim(params).await.unwrap().len(), 1);

    let orch = db
        .builder()
        .polling_interval(Duration::from_millis(100))
        .cancel_grace(GRACE)
        .handler(ReportingHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let retried = orch
        .push_with(
            ReportingCommand { mode: Mode::Fail },
            Push::new().retries(2),
        )
        .await
        .unwrap();
    let discarded = orch
        .push_with(
            ReportingCommand {
                mode: Mode::Discard,
            },
            Push::new().retries(5),
        )
        .await
        .unwrap();
    let timed_out = orch
        .push_with(
            ReportingCommand { mode: Mode::Hang },
            Push::new().retries(0).timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();

    assert_eq!(
        saw(&orch, retried).await,
        expect("on_failure", "attempt 3 failed", Some("failed"), 3)
    );
    assert_eq!(
        saw(&orch, discarded).await,
        expect("on_failure", "no such account", Some("discarded"), 1)
    );
    assert_eq!(
        saw(&orch, timed_out).await,
        expect("on_failure", "timed out after 300ms", Some("timed_out"), 1)
    );
    // The lapsed run is the only run: the claim that found no retry left ran nothing.
    let lapse = saw(&orch, lapsed).await;
    assert_eq!(
        (lapse.kind.as_deref(), lapse.attempts),
        (Some("lease_expired"), 1)
    );
    assert!(lapse.error.starts_with("lease expired"), "{}", lapse.error);
    assert_eq!(probe.count_for("reporting", lapsed), 0);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn on_cancellation_sees_its_reason_and_attempts(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .polling_interval(Duration::from_millis(100))
        .cancel_grace(GRACE)
        .handler(ReportingHandler(probe.clone()))
        .command::<FailureOnlyCommand>()
        .start()
        .await
        .unwrap();
    let later = || Push::new().delay(Duration::from_secs(3600));

    // By the handler, on its second run.
    let by_handler = orch
        .push(ReportingCommand {
            mode: Mode::CancelOnSecond,
        })
        .await
        .unwrap();
    // Pending, by an instance that knows the type: canceled at once.
    let pending = orch
        .push_with(ReportingCommand { mode: Mode::Fail }, later())
        .await
        .unwrap();
    assert_eq!(orch.cancel(pending).await.unwrap(), Cancellation::Canceled);
    // Pending, by a client that does not know the type: the worker acts on the request.
    let requested = orch
        .push_with(ReportingCommand { mode: Mode::Fail }, later())
        .await
        .unwrap();
    let stranger = db.client().await;
    assert_eq!(
        stranger.cancel(requested).await.unwrap(),
        Cancellation::Requested
    );
    // Running: its token fires.
    let running = orch
        .push_with(
            ReportingCommand { mode: Mode::Hang },
            Push::new().timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    eventually(
        "the hanging run started",
        Duration::from_secs(10),
        || async { (probe.count_for("reporting", running) == 1).then_some(()) },
    )
    .await;
    assert_eq!(orch.cancel(running).await.unwrap(), Cancellation::Requested);
    // Only `on_failure` overridden: the default hands the cancellation on, without a kind.
    let delegated = orch.push_with(FailureOnlyCommand, later()).await.unwrap();
    assert_eq!(
        orch.cancel(delegated).await.unwrap(),
        Cancellation::Canceled
    );

    assert_eq!(
        saw(&orch, by_handler).await,
        expect("on_cancellation", "enough after two runs", None, 2)
    );
    assert_eq!(
        saw(&orch, pending).await,
        expect("on_cancellation", "canceled by cancel()", None, 0)
    );
    assert_eq!(
        saw(&orch, requested).await,
        expect("on_cancellation", "cancel requested", None, 0)
    );
    assert_eq!(probe.count_for("reporting", requested), 0);
    assert_eq!(
        saw(&orch, running).await,
        expect("on_cancellation", "cancel requested", None, 1)
    );
    assert_eq!(
        saw(&orch, delegated).await,
        expect("on_failure", "canceled by cancel()", None, 0)
    );
    for id in [by_handler, pending, requested, running, delegated] {
        assert_eq!(orch.get(id).await.unwrap().state(), State::Canceled);
    }
    orch.shutdown(SHUTDOWN).await.unwrap();
}
