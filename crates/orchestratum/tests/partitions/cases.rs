//! The partition cases, each run on PostgreSQL and MySQL/MariaDB: worker A reaches the database
//! through a relay, worker B (same process, same key and handler) connects directly.

use std::time::{Duration, Instant};

use orchestratum::{FailureKind, Push, State};

use crate::hold::HoldCommand;
use crate::lease::{self, CANCEL_GRACE, HANDLER_TIMEOUT, TOLERANCE, drop_deadline, token_deadline};
use crate::support::relay::Relay;
use crate::support::{TestDb, wait_for};
use crate::timeline::{Event, Timeline};

const RETRIES: u16 = 3;

fn hold(first_run_ms: u64, ignores_token: bool) -> (HoldCommand, Push) {
    (
        HoldCommand {
            first_run_ms,
            ignores_token,
        },
        Push::new().retries(RETRIES).timeout(HANDLER_TIMEOUT),
    )
}

/// A's connection goes silent while its handler runs: the handler reacts to its token.
pub async fn frozen_connection_stops_the_run(db: TestDb) {
    frozen_connection(db, false).await;
}

/// The same, with a handler that never looks at its token: only the drop ends it.
pub async fn frozen_connection_drops_a_handler_that_ignores_its_token(db: TestDb) {
    frozen_connection(db, true).await;
}

/// A's run must be gone by 3L/4 after it started, with nothing written, before the lease lapses
/// and B takes the command, charged one retry; after the thaw A changes nothing.
async fn frozen_connection(db: TestDb, ignores_token: bool) {
    let relay = Relay::to_database(&db.url).await;
    let timeline = Timeline::new();
    let client = db.client().await;
    let a = lease::start(&db, &relay.url_for(&db.url), "a", &timeline).await;
    let (cmd, push) = hold(60_000, ignores_token);
    let id = client.push_with(cmd, push).await.unwrap();
    let started = timeline
        .wait("a", Event::Started, Duration::from_secs(10))
        .await;
    relay.freeze();
    let b = lease::start(&db, &db.url, "b", &timeline).await;
    let done = wait_for(
        &client,
        id,
        "completed by B",
        Duration::from_secs(15),
        |r| r.is_completed,
    )
    .await;
    // On a correct runtime A's run ended long ago; waiting up to its timeout only yields the
    // figures when it did not.
    let dropped = timeline
        .wait(
            "a",
            Event::Dropped,
            HANDLER_TIMEOUT + Duration::from_secs(2),
        )
        .await;
    let since_start = |t: Instant| t.saturating_duration_since(started);
    let token = timeline.first("a", Event::TokenFired).map(since_start);
    let b_started = timeline.first("b", Event::Started).expect("B ran it");
    eprintln!("timeline from A's start: {}", timeline.describe(started));
    assert!(
        token.is_some_and(|t| t <= token_deadline() + TOLERANCE),
        "A's token fired at {token:?} after its handler started; it must fire by 3L/4 - cancel \
         grace = {:?} (+ {TOLERANCE:?} tolerance)",
        token_deadline()
    );
    assert!(
        since_start(dropped) <= drop_deadline() + TOLERANCE,
        "A's handler future was dropped {:?} after it started; a run whose lease was not renewed \
         must be gone by 3L/4 = {:?} (+ {TOLERANCE:?} tolerance)",
        since_start(dropped),
        drop_deadline()
    );
    assert!(
        b_started >= dropped,
        "B started the command {:?} after A's start, while A's run was alive until {:?}",
        since_start(b_started),
        since_start(dropped)
    );
    assert_eq!(done.output.as_deref(), Some("\"b\""));
    assert_eq!(done.attempt, 2);
    assert_eq!(
        done.retries_left,
        i32::from(RETRIES) - 1,
        "the lapsed lease cost one retry"
    );
    assert_eq!(done.last_outcome, Some(FailureKind::LeaseExpired));
    assert_eq!(timeline.count(Event::Started), 2, "one run on each worker");

    relay.thaw();
    // Once shut down, A has delivered whatever it still held back: the row must not change.
    lease::stop(a, Duration::from_secs(1)).await;
    let after = client.get(id).await.unwrap();
    assert_eq!(
        (
            &after.output,
            after.completed_at,
            after.attempt,
            after.retries_left
        ),
        (
            &done.output,
            done.completed_at,
            done.attempt,
            done.retries_left
        ),
        "A wrote over B's outcome after the thaw"
    );
    assert_eq!(timeline.count(Event::Started), 2);
    lease::stop(b, Duration::from_secs(1)).await;
}

/// Every connection is reset while a handler runs, and again under its outcome write: the
/// worker reconnects, the command completes once, and later commands run.
pub async fn reset_connections_recover(db: TestDb) {
    let relay = Relay::to_database(&db.url).await;
    let timeline = Timeline::new();
    let client = db.client().await;
    let a = lease::start(&db, &relay.url_for(&db.url), "a", &timeline).await;
    let (cmd, push) = hold(1_500, false);
    let id = client.push_with(cmd, push).await.unwrap();
    let started = timeline
        .wait("a", Event::Started, Duration::from_secs(10))
        .await;
    relay.reset();
    // The handler returned: its outcome is being written now.
    timeline
        .wait("a", Event::Dropped, Duration::from_secs(10))
        .await;
    relay.reset();
    let done = wait_for(&client, id, "finished", Duration::from_secs(15), |r| {
        r.state().is_terminal()
    })
    .await;
    eprintln!("timeline from A's start: {}", timeline.describe(started));
    assert_eq!(done.state(), State::Completed, "{done:?}");
    assert_eq!(done.output.as_deref(), Some("\"a\""));
    assert_eq!(
        (done.attempt, done.retries_left),
        (1, i32::from(RETRIES)),
        "one run, no retry charged"
    );
    assert_eq!(timeline.count(Event::Started), 1, "the command ran twice");

    let (cmd, push) = hold(0, false);
    let next = client.push_with(cmd, push).await.unwrap();
    let done = wait_for(
        &client,
        next,
        "a command pushed after the resets completed",
        Duration::from_secs(15),
        |r| r.is_completed,
    )
    .await;
    assert_eq!(done.output.as_deref(), Some("\"a\""));
    lease::stop(a, Duration::from_secs(1)).await;
}

/// `shutdown(grace)` of a worker whose connection is silent returns within grace + cancel
/// grace + a bound, with its run stopped; the command is taken over once its lease lapses.
pub async fn shutdown_with_a_frozen_connection_returns(db: TestDb) {
    // Shorter than the lease deadline (3L/4 - cancel grace), so the shutdown is what stops it.
    let grace = Duration::from_millis(500);
    let bound = grace + CANCEL_GRACE + Duration::from_secs(10);
    let relay = Relay::to_database(&db.url).await;
    let timeline = Timeline::new();
    let client = db.client().await;
    let a = lease::start(&db, &relay.url_for(&db.url), "a", &timeline).await;
    let (cmd, push) = hold(60_000, false);
    let id = client.push_with(cmd, push).await.unwrap();
    let started = timeline
        .wait("a", Event::Started, Duration::from_secs(10))
        .await;
    relay.freeze();
    let asked = Instant::now();
    let returned = tokio::time::timeout(bound, a.shutdown(grace)).await;
    let took = asked.elapsed();
    eprintln!(
        "shutdown({grace:?}) with a frozen connection: {returned:?} after {took:?}; timeline \
         from A's start: {}",
        timeline.describe(started)
    );
    assert!(
        returned.is_ok(),
        "shutdown({grace:?}) with a frozen connection had not returned after {took:?} (bound: \
         grace + cancel grace + 10 s = {bound:?})"
    );
    let dropped = timeline.first("a", Event::Dropped);
    assert!(
        dropped.is_some_and(|d| d <= asked + took),
        "the handler's future outlived shutdown"
    );

    relay.thaw();
    // Whether or not its release got through, the command is not lost.
    let b = lease::start(&db, &db.url, "b", &timeline).await;
    let done = wait_for(
        &client,
        id,
        "completed by B",
        Duration::from_secs(15),
        |r| r.is_completed,
    )
    .await;
    assert_eq!(done.output.as_deref(), Some("\"b\""));
    lease::stop(b, Duration::from_secs(1)).await;
}

/// Pushed every second by the schedule below; nobody handles it.
#[derive(serde::Serialize, serde::Deserialize)]
struct ScheduledTickCommand;
impl orchestratum::Command for ScheduledTickCommand {
    type Output = ();
}

/// A's connection goes silent for longer than the scheduler bounds a statement: its looks fail
/// (time out) and back off, and once the connection passes again it fires again, never one due
/// second twice.
pub async fn scheduler_goes_on_after_a_frozen_connection(db: TestDb) {
    let relay = Relay::to_database(&db.url).await;
    let schedule = orchestratum::Schedule::cron("through-relay", "* * * * * *")
        .unwrap()
        .command(ScheduledTickCommand)
        .unwrap();
    let a = orchestratum::Orchestratum::builder()
        .database(relay.url_for(&db.url))
        .table_prefix(&db.prefix)
        .instance_key("test")
        .polling_interval(Duration::from_millis(200))
        .lock_timeout_buffer(Duration::from_secs(1))
        .schedule(schedule)
        .start()
        .await
        .unwrap();
    let fired = || db.count_named("scheduled_tick");
    crate::support::eventually("a first firing", Duration::from_secs(5), || async {
        (fired().await >= 1).then_some(())
    })
    .await;
    relay.freeze();
    // Past the scheduler's bound on a statement (half the lease, at least 1 s): at least one
    // look fails while frozen.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let during = fired().await;
    relay.thaw();
    crate::support::eventually(
        "firings after the connection passes again",
        Duration::from_secs(10),
        || async { (fired().await >= during + 2).then_some(()) },
    )
    .await;
    tokio::time::timeout(Duration::from_secs(15), a.shutdown(Duration::from_secs(1)))
        .await
        .expect("shutdown returns")
        .unwrap();
    let doubled = db
        .count(&format!(
            "SELECT count(*) - count(DISTINCT scheduled_at) FROM {} WHERE name = 'scheduled_tick'",
            db.table()
        ))
        .await;
    assert_eq!(doubled, 0, "a due second was pushed twice");
}

/// Store calls dropped at every point of their round trips (a caller's timeout, a bounded
/// outcome write, a handler's timeout) leave no transaction open on a pooled connection: a
/// connection left inside one refuses every later `SET TRANSACTION` (MySQL) and holds its
/// later autocommit writes uncommitted. So every call through the pool that is not cut short
/// succeeds, during the sweep and after it, and a push through it is visible at once from
/// another connection.
pub async fn interrupted_calls_leave_no_transaction_open(db: TestDb) {
    let relay = Relay::to_database(&db.url).await;
    let direct = db.client().await;
    let through = db
        .builder()
        .database(relay.url_for(&db.url))
        .connect()
        .await
        .expect("connect through the relay");
    let admin = through.admin();
    // Deletes nothing; on MySQL it begins with `SET TRANSACTION … ; START TRANSACTION`.
    let prune = || orchestratum::admin::PruneParams {
        older_than: Duration::from_secs(3_600),
        state: None,
        limit: 10,
    };
    // Each chunk held 1 ms: a call's round trips are long enough for the sweep of limits to
    // land inside every one of them, the begin among them; the last limits let calls finish.
    relay.delay(Duration::from_millis(1));
    // The sweep's span: twice what the fastest call takes through the relay, whole, so that
    // under any load most limits cut calls short and the longest let some finish.
    let mut whole = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        admin.prune(prune()).await.unwrap();
        let (cmd, push) = hold(0, false);
        let id = direct.push_with(cmd, push).await.unwrap();
        whole = whole.min(started.elapsed());
        let started = Instant::now();
        through.cancel(id).await.unwrap();
        whole = whole.min(started.elapsed());
    }
    let (mut interrupted, mut finished) = (0, 0);
    for step in 0..120u32 {
        let limit = whole * 2 * step / 120;
        match tokio::time::timeout(limit, admin.prune(prune())).await {
            Err(_) => interrupted += 1,
            Ok(Ok(_)) => finished += 1,
            Ok(Err(e)) => panic!("a prune given {limit:?}: {e}"),
        }
        let (cmd, push) = hold(0, false);
        let id = direct.push_with(cmd, push).await.unwrap();
        match tokio::time::timeout(limit, through.cancel(id)).await {
            Err(_) => interrupted += 1,
            Ok(Ok(_)) => finished += 1,
            Ok(Err(e)) => panic!("a cancel given {limit:?}: {e}"),
        }
        // Not cut short: it waits for a connection behind what the cut calls left running, and
        // must not find one left inside a transaction.
        if let Err(e) = admin.prune(prune()).await {
            panic!("a prune after calls cut short after {limit:?}: {e}");
        }
    }
    relay.thaw();
    assert!(
        interrupted >= 30 && finished >= 10,
        "the sweep up to {:?} cut {interrupted} calls short and let {finished} finish",
        whole * 2
    );
    // More calls than the pool has connections, so every connection is tried.
    for n in 0..12 {
        if let Err(e) = admin.prune(prune()).await {
            panic!("prune {n} after the sweep: {e}");
        }
        let (cmd, push) = hold(0, false);
        let id = through.push_with(cmd, push).await.unwrap();
        let seen = direct.get(id).await;
        assert!(
            seen.is_ok(),
            "push {n} after the sweep is not visible from another connection ({seen:?}): its \
             connection is still inside a transaction an interrupted call began"
        );
    }
}
