//! Rows written by other programs: the .NET library (mid-migration, or a worker that died
//! between its writes), an operator's script. They follow the reference's columns but not
//! every habit of ours, and must still finish.

use std::time::Duration;

use orchestratum::store::{DowngradeParams, ListParams};
use orchestratum::{Cancellation, State};
use uuid::Uuid;

use super::with_all_handlers;
use crate::support::commands::SimpleCommand;
use crate::support::{Backend, Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

/// A row in the reference's 17 columns only (target "test", 3 retries), as another program
/// inserts it.
struct ForeignRow<'a> {
    /// The id as that program spells it.
    id: &'a str,
    name: &'a str,
    input: &'a str,
    /// Due a minute ago, or in an hour.
    due: bool,
    /// Marked running since a minute ago, with no `run_expires_at`.
    running_without_expiry: bool,
}

impl ForeignRow<'_> {
    async fn insert(&self, db: &TestDb) {
        let (past, future, timeout, yes, no) = match db.backend {
            Backend::Postgres => (
                "now() - interval '1 minute'",
                "now() + interval '1 hour'",
                "interval '30 seconds'",
                "true",
                "false",
            ),
            Backend::Sqlite => (
                "'2020-01-01 00:00:00.000000+00:00'",
                "'2999-01-01 00:00:00.000000+00:00'",
                "'00:00:30'",
                "1",
                "0",
            ),
            #[cfg(feature = "mysql")]
            Backend::Mysql => (
                "UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE",
                "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR",
                "'00:00:30'",
                "TRUE",
                "FALSE",
            ),
        };
        let scheduled = if self.due { past } else { future };
        let (running, running_at) = if self.running_without_expiry {
            (yes, past)
        } else {
            (no, "NULL")
        };
        db.exec(&format!(
            "INSERT INTO {table} (id, target, name, input, output, scheduled_at, timeout, \
             is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, \
             canceled_at, retries_left, is_failed, failed_at) VALUES ('{id}', 'test', '{name}', \
             '{input}', NULL, {scheduled}, {timeout}, {running}, {running_at}, NULL, {no}, NULL, \
             {no}, NULL, 3, {no}, NULL)",
            table = db.table(),
            id = self.id,
            name = self.name,
            input = self.input,
        ))
        .await;
    }
}

/// A row marked running without an expiry.
async fn insert_running_without_expiry(db: &TestDb, id: Uuid, name: &str, input: &str) {
    ForeignRow {
        id: &id.to_string(),
        name,
        input,
        due: true,
        running_without_expiry: true,
    }
    .insert(db)
    .await;
}

/// An id as EF Core's SQLite provider writes a `Guid`: upper-case, hyphenated.
fn upper(id: Uuid) -> String {
    id.hyphenated().to_string().to_uppercase()
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
    assert_eq!(store.migrate_down(down).await.unwrap().reverted.len(), 12);

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

pub async fn upper_case_ids_are_run_renewed_and_found(db: TestDb) {
    // Upper case is how EF Core writes a `Guid` on SQLite; PostgreSQL's uuid and MySQL's
    // case-insensitive ascii column take either spelling anyway.
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .lock_timeout_buffer(Duration::from_millis(1_000))
        .polling_interval(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let (long, later) = (Uuid::now_v7(), Uuid::now_v7());
    // A run three times longer than the renewal period: renewing by id must find the row.
    for (id, input, due) in [
        (long, r#"{"millis":1500}"#, true),
        (later, r#"{"millis":10}"#, false),
    ] {
        ForeignRow {
            id: &upper(id),
            name: "sleep",
            input,
            due,
            running_without_expiry: false,
        }
        .insert(&db)
        .await;
    }
    let record = wait_terminal(&orch, long).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.attempt, 1, "the lease was renewed, never lost");
    assert_eq!(probe.count_for("sleep_token_fired", long), 0);

    // Steering by id: cancel (with its follow-up linked by parent), follow-ups, retry.
    assert_eq!(orch.cancel(later).await.unwrap(), Cancellation::Canceled);
    let store = orch.store();
    let children = store.follow_ups(later).await.unwrap();
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(children[0].parent_id, Some(later));
    let retried = store.retry(later, Some(1)).await.unwrap();
    assert_eq!(retried.map(|r| r.id), Some(later));

    // A command we push is found by its EF spelling too.
    let pushed = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    wait_terminal(&orch, pushed).await;
    let sql = format!(
        "SELECT count(*) FROM {} WHERE id = '{}' AND is_completed",
        db.table(),
        upper(pushed)
    );
    assert_eq!(db.count(&sql).await, 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}
