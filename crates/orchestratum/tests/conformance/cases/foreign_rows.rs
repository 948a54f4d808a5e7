//! Rows written by other programs: the .NET library (mid-migration, or a worker that died
//! between its writes), an operator's script. They follow the reference's columns but not
//! every habit of ours, and must still finish.

use std::time::Duration;

use orchestratum::store::{DowngradeParams, ListParams};
use orchestratum::{Cancellation, State};
use uuid::Uuid;

use super::with_all_handlers;
use crate::support::{Backend, Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

/// Inserts a command of `name` (target "test", due a minute ago) marked running since then but
/// with no `run_expires_at`, in the reference's 17 columns only, as another program may leave it.
async fn insert_running_without_expiry(db: &TestDb, id: Uuid, name: &str, input: &str) {
    let (past, timeout, yes, no) = match db.backend {
        Backend::Postgres => (
            "now() - interval '1 minute'",
            "interval '30 seconds'",
            "true",
            "false",
        ),
        Backend::Sqlite => ("'2020-01-01 00:00:00.000000+00:00'", "'00:00:30'", "1", "0"),
        #[cfg(feature = "mysql")]
        Backend::Mysql => (
            "UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE",
            "'00:00:30'",
            "TRUE",
            "FALSE",
        ),
    };
    db.exec(&format!(
        "INSERT INTO {table} (id, target, name, input, output, scheduled_at, timeout, is_running, \
         running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at, \
         retries_left, is_failed, failed_at) VALUES ('{id}', 'test', '{name}', '{input}', NULL, \
         {past}, {timeout}, {yes}, {past}, NULL, {no}, NULL, {no}, NULL, 3, {no}, NULL)",
        table = db.table(),
    ))
    .await;
}

pub async fn running_row_without_expiry_is_claimed_and_run(db: TestDb) {
    let client = db.client().await;
    let id = Uuid::now_v7();
    insert_running_without_expiry(&db, id, "simple", r#"{"n":4}"#).await;
    // No lease holds it, so it is due now: an idle worker must not sleep past it.
    let names = vec!["simple".to_owned()];
    let due = client.store().next_due("test", &names).await.unwrap();
    assert_eq!(
        due,
        Some(Duration::ZERO),
        "a missing expiry is a lapsed lease"
    );
    // Operators see it the same way: pending with a lapsed lease, not running.
    let store = client.store();
    let summary = store.summary(10).await.unwrap();
    assert_eq!(
        (summary.by_state.pending, summary.by_state.running),
        (1, 0),
        "{summary:?}"
    );
    assert_eq!(summary.expired_leases, 1);
    assert_eq!(summary.expired.first().map(|r| r.id), Some(id));
    let pending = ListParams {
        state: Some(State::Pending),
        name: None,
        target: None,
        since: None,
        limit: 10,
    };
    let listed: Vec<Uuid> = store
        .list(pending)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![id]);
    // No live lease stands in the way of a downgrade.
    let down = DowngradeParams {
        to: 2,
        force: false,
        dry_run: true,
    };
    assert_eq!(store.migrate_down(down).await.unwrap().reverted.len(), 1);

    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe).start().await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("8"));
    assert_eq!(record.attempt, 1);
    assert_eq!(record.retries_left, 2, "taking it over cost one retry");
    assert_eq!(probe.count_for("simple", id), 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn running_row_without_expiry_is_cancelled_at_once(db: TestDb) {
    let probe = Probe::new();
    let client = with_all_handlers(&db, &probe).connect().await.unwrap();
    let id = Uuid::now_v7();
    insert_running_without_expiry(&db, id, "sleep", r#"{"millis":10}"#).await;
    // Nobody holds a lease on it, so there is no worker to wait for.
    assert_eq!(client.cancel(id).await.unwrap(), Cancellation::Canceled);
    let record = client.get(id).await.unwrap();
    assert_eq!(record.state(), State::Canceled);
    assert!(!record.is_running && record.canceled_at.is_some());
    assert_eq!(db.count_named("notify_admin").await, 1, "on_cancellation");
    assert_eq!(probe.count_for("sleep_started", id), 0);
}
