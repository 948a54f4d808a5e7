//! Guarantees under stalls, refused writes and stops (issue 9): one run per command in a
//! process, a handler's clean-up within its grace, a panicking `on_success`, retries claimed
//! without waiting for a poll, and outcomes the database refuses.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::{
    Command, Context, Error, FailureKind, Handler, HandlerError, HandlerResult, Next, Push, State,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, eventually, wait_terminal};

/// Holds its run for `millis`; when its token fires it cleans up for `cleanup_ms` (unless it
/// ignores the token) and returns an output that must be ignored. Records "hold_started",
/// "hold_done" (ran to the end), "hold_cleanup" and, when its future goes away however it
/// ends, "hold_dropped".
#[derive(Debug, Serialize, Deserialize)]
pub struct HoldCommand {
    pub millis: u64,
    pub cleanup_ms: u64,
    pub ignore_token: bool,
}
impl Command for HoldCommand {
    type Output = String;
}
pub struct HoldHandler(pub Arc<Probe>);
impl Handler for HoldHandler {
    type Command = HoldCommand;
    async fn execute(&self, cmd: HoldCommand, ctx: Context) -> HandlerResult<String> {
        let _dropped = Recorder(self.0.clone(), "hold_dropped", ctx.id(), ctx.attempt());
        self.0.record("hold_started", ctx.id(), ctx.attempt());
        let hold = tokio::time::sleep(Duration::from_millis(cmd.millis));
        if cmd.ignore_token {
            hold.await;
        } else {
            tokio::select! {
                () = hold => {}
                () = ctx.cancelled() => {
                    tokio::time::sleep(Duration::from_millis(cmd.cleanup_ms)).await;
                    self.0.record("hold_cleanup", ctx.id(), ctx.attempt());
                    return Ok("cleaned up".into());
                }
            }
        }
        self.0.record("hold_done", ctx.id(), ctx.attempt());
        Ok("done".into())
    }
}

/// Records an event when dropped: a handler's future that is dropped counts as ended.
struct Recorder(Arc<Probe>, &'static str, Uuid, u32);
impl Drop for Recorder {
    fn drop(&mut self) {
        self.0.record(self.1, self.2, self.3);
    }
}

/// Succeeds, then its `on_success` hook panics.
#[derive(Debug, Serialize, Deserialize)]
pub struct PanickyOnSuccessCommand;
impl Command for PanickyOnSuccessCommand {
    type Output = u32;
    fn on_success(&self, _: &u32) -> Vec<Next> {
        panic!("on_success exploded on purpose");
    }
}
pub struct PanickyOnSuccessHandler(pub Arc<Probe>);
impl Handler for PanickyOnSuccessHandler {
    type Command = PanickyOnSuccessCommand;
    async fn execute(&self, _: PanickyOnSuccessCommand, ctx: Context) -> HandlerResult<u32> {
        self.0.record("panicky_on_success", ctx.id(), ctx.attempt());
        Ok(7)
    }
}

/// Fails its first `failures` runs with `error`, waiting `retry_ms` before each retry (or a
/// delay no backend can store when `retry_ms` is `u64::MAX`); then succeeds. Records "flaky"
/// at the start of each run and "flaky_failed" just before it fails.
#[derive(Debug, Serialize, Deserialize)]
pub struct FlakyCommand {
    pub failures: u32,
    pub retry_ms: u64,
    pub error: String,
}
impl Command for FlakyCommand {
    type Output = u32;
    fn retry_delay(&self, _attempt: u32) -> Option<Duration> {
        Some(Duration::from_millis(self.retry_ms))
    }
}
pub struct FlakyHandler(pub Arc<Probe>);
impl Handler for FlakyHandler {
    type Command = FlakyCommand;
    async fn execute(&self, cmd: FlakyCommand, ctx: Context) -> HandlerResult<u32> {
        self.0.record("flaky", ctx.id(), ctx.attempt());
        if ctx.attempt() <= cmd.failures {
            self.0.record("flaky_failed", ctx.id(), ctx.attempt());
            return Err(HandlerError::fail(cmd.error));
        }
        Ok(ctx.attempt())
    }
}

/// Succeeds with a follow-up whose delay no backend can store.
#[derive(Debug, Serialize, Deserialize)]
pub struct FarFollowUpCommand;
impl Command for FarFollowUpCommand {
    type Output = ();
    fn on_success(&self, _: &()) -> Vec<Next> {
        let far = Duration::from_secs(u64::MAX / 4);
        vec![Next::with(SimpleCommand { n: 1 }, Push::new().delay(far))]
    }
}
pub struct FarFollowUpHandler;
impl Handler for FarFollowUpHandler {
    type Command = FarFollowUpCommand;
    async fn execute(&self, _: FarFollowUpCommand, _: Context) -> HandlerResult<()> {
        Ok(())
    }
}

/// Makes this test's lease on `id` lapse in the database, as it does when the worker holding it
/// stalls for longer than the lease. Matches either spelling of the id.
pub async fn expire_lease(db: &TestDb, id: Uuid) {
    let (lower, upper) = (id.to_string(), id.to_string().to_uppercase());
    let past = match db.backend {
        Backend::Postgres => "now() - interval '1 minute'",
        Backend::Sqlite => "'2000-01-01 00:00:00.000+00:00'",
        #[cfg(feature = "mysql")]
        Backend::Mysql => "UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE",
    };
    let id_text = match db.backend {
        Backend::Postgres => "id::text",
        _ => "id",
    };
    db.exec(&format!(
        "UPDATE {} SET run_expires_at = {past} WHERE {id_text} IN ('{lower}', '{upper}')",
        db.table()
    ))
    .await;
}

/// Makes the database refuse any outcome whose output contains `refuse-me`, as it refuses a
/// value it cannot hold.
async fn refuse_outputs_with_marker(db: &TestDb) {
    let (table, trigger) = (db.table(), db.quoted("refuse_me"));
    let sql = match db.backend {
        Backend::Postgres => format!(
            "ALTER TABLE {table} ADD CONSTRAINT {trigger} \
             CHECK (output IS NULL OR output NOT LIKE '%refuse-me%')"
        ),
        Backend::Sqlite => format!(
            "CREATE TRIGGER {trigger} BEFORE UPDATE OF output ON {table} \
             WHEN NEW.output LIKE '%refuse-me%' BEGIN SELECT RAISE(ABORT, 'refused on purpose'); END"
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => format!(
            "CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW BEGIN \
             IF NEW.output LIKE '%refuse-me%' THEN \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused on purpose'; END IF; END"
        ),
    };
    db.exec(&sql).await;
}

pub async fn reclaimed_command_never_overlaps_in_one_process(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(HoldHandler(probe.clone()))
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let hold = HoldCommand {
        millis: 2_000,
        cleanup_ms: 0,
        ignore_token: false,
    };
    let id = orch.push_with(hold, Push::new().retries(3)).await.unwrap();
    probe.wait("hold_started", 1, Duration::from_secs(10)).await;
    // The lease lapses while the first run is alive (a stall), and a push wakes the claimer of
    // the same process, which takes the command again.
    expire_lease(&db, id).await;
    orch.push(SimpleCommand { n: 1 }).await.unwrap();
    probe.wait("hold_started", 2, Duration::from_secs(10)).await;
    let record = wait_terminal(&orch, id).await;
    assert_eq!(
        probe.max_concurrent("hold_started", "hold_dropped"),
        1,
        "two runs of one command were alive at once in one process"
    );
    assert_eq!(
        probe.count_for("hold_cleanup", id),
        1,
        "the stale run was stopped"
    );
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("\"done\""));
    assert_eq!(record.attempt, 2);
    assert_eq!(record.retries_left, 2, "the lapse costs one retry, once");
    assert_eq!(probe.count_for("hold_started", id), 2);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn stopped_handler_cleans_up_within_the_grace(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(HoldHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let hold = || HoldCommand {
        millis: 30_000,
        cleanup_ms: 100,
        ignore_token: false,
    };
    // Timeout: the outcome stays TimedOut, whatever the clean-up returns.
    let timed_out = orch
        .push_with(
            hold(),
            Push::new().timeout(Duration::from_millis(300)).retries(0),
        )
        .await
        .unwrap();
    let record = wait_terminal(&orch, timed_out).await;
    assert_eq!(probe.count_for("hold_cleanup", timed_out), 1);
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.last_outcome, Some(FailureKind::TimedOut));
    assert_eq!(record.output, None);
    // Cancel: canceled.
    let canceled = orch.push(hold()).await.unwrap();
    wait_started(&probe, canceled).await;
    orch.cancel(canceled).await.unwrap();
    let record = wait_terminal(&orch, canceled).await;
    assert_eq!(probe.count_for("hold_cleanup", canceled), 1);
    assert_eq!(record.state(), State::Canceled);
    assert_eq!(record.output, None);
    // Shutdown with no grace: released, its retries untouched.
    let released = orch.push(hold()).await.unwrap();
    wait_started(&probe, released).await;
    orch.shutdown(Duration::ZERO).await.unwrap();
    assert_eq!(probe.count_for("hold_cleanup", released), 1);
    let record = db.client().await.get(released).await.unwrap();
    assert_eq!(record.state(), State::Pending);
    assert_eq!(record.retries_left, 3);
    assert_eq!(record.output, None);
}

async fn wait_started(probe: &Probe, id: Uuid) {
    eventually("the run to start", Duration::from_secs(10), || async {
        (probe.count_for("hold_started", id) > 0).then_some(())
    })
    .await;
}

pub async fn handler_ignoring_its_token_is_dropped_after_the_grace(db: TestDb) {
    let probe = Probe::new();
    let grace = Duration::from_millis(600);
    let orch = db
        .builder()
        .cancel_grace(grace)
        .handler(HoldHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let hold = HoldCommand {
        millis: 30_000,
        cleanup_ms: 0,
        ignore_token: true,
    };
    let timeout = Duration::from_millis(300);
    let id = orch
        .push_with(hold, Push::new().timeout(timeout).retries(0))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.last_outcome, Some(FailureKind::TimedOut));
    let started = probe.times_of("hold_started", id)[0];
    let dropped = probe.times_of("hold_dropped", id)[0];
    let lived = dropped - started;
    assert!(
        lived >= timeout + grace - Duration::from_millis(20),
        "dropped before its grace was over: {lived:?}"
    );
    assert!(
        lived < timeout + grace + Duration::from_millis(500),
        "not dropped after its grace: {lived:?}"
    );
    assert_eq!(probe.count_for("hold_done", id), 0);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn panicking_on_success_never_reruns_the_handler(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(PanickyOnSuccessHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let id = orch.push(PanickyOnSuccessCommand).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(probe.count_for("panicky_on_success", id), 1);
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("7"));
    let error = record.last_error.unwrap_or_default();
    assert!(
        error.contains("on_success panicked: on_success exploded on purpose")
            && error.contains("follow-ups not enqueued"),
        "{error}"
    );
    assert_eq!(record.retries_left, 3);
    let rows = db
        .count(&format!("SELECT COUNT(*) FROM {}", db.table()))
        .await;
    assert_eq!(rows, 1, "no follow-up was enqueued");
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn retry_is_claimed_again_without_waiting_for_a_poll(db: TestDb) {
    let probe = Probe::new();
    // The reference's polling interval: a retry that waited for a poll would take 5 s.
    let orch = db
        .builder()
        .polling_interval(Duration::from_secs(5))
        .handler(FlakyHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    // What is measured starts at the failure, after which the claimer would sleep for the
    // 5 s polling interval unless the retry wakes it: no need to wait for it to fall asleep.
    let flaky = |retry_ms| FlakyCommand {
        failures: 1,
        retry_ms,
        error: "first run fails".into(),
    };
    let at_once = orch.push(flaky(0)).await.unwrap();
    let record = wait_terminal(&orch, at_once).await;
    assert_eq!(record.state(), State::Completed);
    let runs = probe.times_of("flaky", at_once);
    let gap = runs[1] - probe.times_of("flaky_failed", at_once)[0];
    assert!(
        gap < Duration::from_millis(500),
        "a retry without delay waited {gap:?}"
    );
    let delayed = orch.push(flaky(300)).await.unwrap();
    let record = wait_terminal(&orch, delayed).await;
    assert_eq!(record.state(), State::Completed);
    let runs = probe.times_of("flaky", delayed);
    let gap = runs[1] - probe.times_of("flaky_failed", delayed)[0];
    assert!(
        gap >= Duration::from_millis(290) && gap <= Duration::from_millis(400),
        "a 300 ms retry delay took {gap:?}"
    );
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn refused_outcome_fails_only_its_command(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(EchoHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    refuse_outputs_with_marker(&db).await;
    let texts = ["ok-1", "refuse-me", "ok-2", "ok-3"];
    let ids = orch
        .push_many(texts.iter().map(|t| EchoCommand { text: (*t).into() }))
        .await
        .unwrap();
    for (id, text) in ids.iter().zip(texts) {
        let record = wait_terminal(&orch, *id).await;
        if text == "refuse-me" {
            assert_eq!(record.state(), State::Failed);
            assert_eq!(record.last_outcome, Some(FailureKind::OutcomeRefused));
            let error = record.last_error.unwrap_or_default();
            assert!(
                error.contains("outcome could not be stored") && error.contains("refuse"),
                "{error}"
            );
            assert_eq!(record.retries_left, -1);
        } else {
            assert_eq!(record.state(), State::Completed, "{text}");
            assert_eq!(record.output, Some(format!("\"{text}\"")));
        }
    }
    // Nothing is left behind the refused write.
    let stopped = tokio::time::timeout(
        Duration::from_secs(10),
        orch.shutdown(Duration::from_secs(1)),
    )
    .await;
    assert!(matches!(stopped, Ok(Ok(()))), "shutdown: {stopped:?}");
}

pub async fn error_text_with_nul_is_stored_readably(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(FlakyHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let bytes = b"bad \0 byte";
    let flaky = FlakyCommand {
        failures: 5,
        retry_ms: 0,
        error: String::from_utf8_lossy(bytes).into_owned(),
    };
    let id = orch.push_with(flaky, Push::new().retries(0)).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.last_error.as_deref(), Some("bad \u{FFFD} byte"));
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn durations_beyond_the_backend_are_refused_before_sql(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(FlakyHandler(probe.clone()))
        .handler(FarFollowUpHandler)
        .start()
        .await
        .unwrap();
    let far = Duration::from_secs(u64::MAX / 4);
    // At push: a typed error, nothing inserted.
    let err = orch
        .push_with(SimpleCommand { n: 1 }, Push::new().delay(far))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidDuration { what: "delay", .. }),
        "{err:?}"
    );
    let err = orch
        .push_with(SimpleCommand { n: 1 }, Push::new().timeout(far))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidDuration {
                what: "timeout",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(db.count_named("simple").await, 0);
    // A retry delay out of range: failed for good after one run, with both reasons.
    let flaky = FlakyCommand {
        failures: 5,
        retry_ms: u64::MAX,
        error: "fails".into(),
    };
    let id = orch.push(flaky).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(probe.count_for("flaky", id), 1);
    let error = record.last_error.unwrap_or_default();
    assert!(
        error.starts_with("fails; not retried: invalid retry delay"),
        "{error}"
    );
    // A follow-up out of range: the success stands, the follow-up is not enqueued.
    let id = orch.push(FarFollowUpCommand).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    let error = record.last_error.unwrap_or_default();
    assert!(
        error.contains("follow-ups not enqueued: invalid delay"),
        "{error}"
    );
    assert_eq!(db.count_named("simple").await, 0);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn oversized_output_is_stored_or_refused_clearly(db: TestDb) {
    let orch = db.builder().handler(GrowHandler).start().await.unwrap();
    // Past MariaDB's default max_allowed_packet (16 MiB): a statement carrying it is refused.
    let bytes = 17 << 20;
    let small = orch.push(GrowCommand { bytes: 10 }).await.unwrap();
    let id = orch.push(GrowCommand { bytes }).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    match db.backend {
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            assert_eq!(record.state(), State::Failed);
            assert_eq!(record.last_outcome, Some(FailureKind::OutcomeRefused));
            let error = record.last_error.unwrap_or_default();
            assert!(
                error.contains("outcome could not be stored")
                    && error.contains("max_allowed_packet"),
                "{error}"
            );
            // An input that large is refused at push, with the server's reason.
            let err = orch
                .push(EchoCommand {
                    text: "x".repeat(bytes),
                })
                .await
                .unwrap_err();
            assert!(err.to_string().contains("max_allowed_packet"), "{err}");
            assert_eq!(db.count_named("echo").await, 0);
        }
        Backend::Postgres | Backend::Sqlite => {
            assert_eq!(record.state(), State::Completed);
            assert_eq!(record.output.map(|o| o.len()), Some(bytes + 2));
        }
    }
    assert_eq!(wait_terminal(&orch, small).await.state(), State::Completed);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Returns `bytes` bytes of text: a small input with a large output.
#[derive(Debug, Serialize, Deserialize)]
pub struct GrowCommand {
    pub bytes: usize,
}
impl Command for GrowCommand {
    type Output = String;
}
pub struct GrowHandler;
impl Handler for GrowHandler {
    type Command = GrowCommand;
    async fn execute(&self, cmd: GrowCommand, _: Context) -> HandlerResult<String> {
        Ok("x".repeat(cmd.bytes))
    }
}

pub async fn cancel_request_wins_over_a_lapse_that_used_the_last_retry(db: TestDb) {
    let probe = Probe::new();
    let client = db.client().await;
    let id = client
        .push_with(SimpleCommand { n: 1 }, Push::new().retries(0))
        .await
        .unwrap();
    // A worker died holding it, and a cancel was requested meanwhile.
    let (running, now) = match db.backend {
        Backend::Postgres => ("true", "now()"),
        Backend::Sqlite => ("1", "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')"),
        #[cfg(feature = "mysql")]
        Backend::Mysql => ("TRUE", "UTC_TIMESTAMP(6)"),
    };
    db.exec(&format!(
        "UPDATE {} SET is_running = {running}, cancel_requested_at = {now}",
        db.table()
    ))
    .await;
    expire_lease(&db, id).await;
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(
        record.state(),
        State::Canceled,
        "the cancel the caller asked for wins"
    );
    assert_eq!(probe.count_for("simple", id), 0, "the handler never ran");
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn retry_delay_is_honoured_across_instances(db: TestDb) {
    // Two workers that share nothing but the database (as two processes do), polling every
    // 5 s: whichever runs the retry, it runs at its due time, not at a poll.
    let probe = Probe::new();
    let start = || {
        db.builder()
            .polling_interval(Duration::from_secs(5))
            .handler(FlakyHandler(probe.clone()))
            .start()
    };
    let (a, b) = (start().await.unwrap(), start().await.unwrap());
    let flaky = FlakyCommand {
        failures: 1,
        retry_ms: 300,
        error: "first run fails".into(),
    };
    let id = a.push(flaky).await.unwrap();
    let record = wait_terminal(&a, id).await;
    assert_eq!(record.state(), State::Completed);
    let gap = probe.times_of("flaky", id)[1] - probe.times_of("flaky_failed", id)[0];
    assert!(
        gap >= Duration::from_millis(290) && gap <= Duration::from_millis(400),
        "a 300 ms retry delay took {gap:?} across two instances"
    );
    a.shutdown(Duration::from_secs(5)).await.unwrap();
    b.shutdown(Duration::from_secs(5)).await.unwrap();
}
