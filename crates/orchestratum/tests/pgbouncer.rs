//! PostgreSQL behind PgBouncer in transaction mode, beyond the conformance suite (which runs
//! every case through one, with LISTEN on a direct URL): a strict PgBouncer (it refuses every
//! startup parameter it does not track) with one or two server connections for all clients,
//! the setting given only as the URL's `pooler=transaction`, and no LISTEN at all.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use orchestratum::{
    Command, CompletionTransaction, Context, Error, Handler, HandlerResult, Orchestratum, Push,
    State,
};
use serde::{Deserialize, Serialize};
use support::commands::*;
use support::pgbouncer::Settings;
use support::{Probe, TestDb, wait_terminal};

/// A PgBouncer as strict as its defaults, with `pool_size` server connections, and a database
/// behind it whose URL says `pooler=transaction` and nothing about LISTEN.
async fn strict(pool_size: u32) -> TestDb {
    let settings = Settings {
        pool_size,
        lenient: false,
    };
    TestDb::through_pgbouncer(settings, false).await
}

/// A builder on `db` that knows of the pooler only through the URL.
fn from_url(db: &TestDb) -> orchestratum::Builder {
    Orchestratum::builder()
        .database(&db.url)
        .table_prefix(&db.prefix)
        .instance_key("test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_server_connection_finish_every_command() {
    let db = strict(1).await;
    let probe = Probe::new();
    let mut workers = Vec::new();
    for _ in 0..2 {
        workers.push(
            from_url(&db)
                .polling_interval(Duration::from_millis(100))
                .max_command_pull(8)
                .handler(SimpleHandler(probe.clone()))
                .handler(ProcessOrderHandler(probe.clone()))
                .handler(MailHandler(probe.clone()))
                .start()
                .await
                .expect("start through PgBouncer"),
        );
    }
    let mut ids = Vec::new();
    for (i, worker) in (0i64..).zip(&workers) {
        let batch: Vec<_> = (0..100).map(|n| SimpleCommand { n }).collect();
        ids.extend(worker.push_many(batch).await.unwrap());
        for n in 0..10 {
            let order = ProcessOrderCommand { amount: i * 10 + n };
            ids.push(worker.push(order).await.unwrap());
        }
    }
    for id in &ids {
        let record = wait_terminal(&workers[0], *id).await;
        assert_eq!(record.state(), State::Completed, "{record:?}");
    }
    // Each order's success chained a confirmation: it ran too.
    probe
        .wait("confirmation_email", 20, Duration::from_secs(30))
        .await;
    assert_eq!(probe.count("simple"), 200);
    let runs = db
        .count(&format!(
            "SELECT count(*) FROM {} WHERE is_completed",
            db.table()
        ))
        .await;
    assert_eq!(runs, 240, "200 simple, 20 orders, 20 confirmations");
    for worker in workers {
        worker.shutdown(Duration::from_secs(5)).await.unwrap();
    }
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_apply_each_migration_once() {
    let db = strict(2).await;
    let starts = (0..4).map(|_| from_url(&db).connect());
    for client in futures_util::future::join_all(starts).await {
        client.expect("every instance starts");
    }
    let table = db.quoted("schema_migrations");
    let recorded = db.count(&format!("SELECT count(*) FROM {table}")).await;
    let distinct = db
        .count(&format!("SELECT count(DISTINCT version) FROM {table}"))
        .await;
    let latest = i64::try_from(orchestratum::store::postgres::MIGRATIONS.len()).unwrap();
    assert_eq!((recorded, distinct), (latest, latest));
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_listen_a_worker_wakes_on_its_own_pushes_and_at_next_due() {
    let db = strict(2).await;
    let probe = Probe::new();
    // Polls once a minute: only a local wake-up or the next due time can start a command soon.
    let worker = from_url(&db)
        .polling_interval(Duration::from_secs(60))
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let warmup = worker.push(SimpleCommand { n: 0 }).await.unwrap();
    wait_terminal(&worker, warmup).await;
    let pushed = Instant::now();
    let now = worker.push(SimpleCommand { n: 1 }).await.unwrap();
    probe.wait("simple", 2, Duration::from_secs(10)).await;
    assert!(
        pushed.elapsed() < Duration::from_secs(2),
        "{:?}",
        pushed.elapsed()
    );
    let pushed = Instant::now();
    let later = worker
        .push_with(
            SimpleCommand { n: 2 },
            Push::new().delay(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    probe.wait("simple", 3, Duration::from_secs(10)).await;
    let waited = pushed.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "a 1 s delay ran after {waited:?}"
    );
    for id in [now, later] {
        assert_eq!(wait_terminal(&worker, id).await.state(), State::Completed);
    }
    worker.shutdown(Duration::from_secs(5)).await.unwrap();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_setting_the_pooler_refuses_the_session_settings() {
    let db = strict(1).await;
    let (url, _) = db.url.split_once('?').expect("the URL has pooler=");
    let refused = Orchestratum::builder()
        .database(url)
        .table_prefix(&db.prefix)
        .connect()
        .await
        .err()
        .expect("a direct-mode session through PgBouncer is refused");
    let Error::Connect { source, .. } = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        source.to_string().contains("unsupported startup parameter"),
        "{source}"
    );
    // The builder's setting alone is enough.
    Orchestratum::builder()
        .database(url)
        .pooler(orchestratum::Pooler::Transaction)
        .table_prefix(&db.prefix)
        .connect()
        .await
        .expect("connects with Builder::pooler");
    db.cleanup().await;
}

/// Reports a session setting as its transaction sees it.
#[derive(Debug, Serialize, Deserialize)]
struct ShowIdleTimeout;
impl Command for ShowIdleTimeout {
    type Output = String;
}
struct ShowIdleTimeoutHandler;
impl Handler for ShowIdleTimeoutHandler {
    type Command = ShowIdleTimeout;
    async fn execute(&self, cmd: ShowIdleTimeout, ctx: Context) -> HandlerResult<String> {
        let mut tx: CompletionTransaction = ctx.transaction().await?;
        let shown: String = sqlx::query_scalar("SHOW idle_in_transaction_session_timeout")
            .persistent(false)
            .fetch_one(tx.postgres()?)
            .await
            .map_err(Error::from)?;
        tx.complete(&cmd, &shown).await?;
        Ok(shown)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_behind_the_pooler_keep_the_idle_timeout() {
    let db = strict(1).await;
    let worker = from_url(&db)
        .handler(ShowIdleTimeoutHandler)
        .start()
        .await
        .unwrap();
    let id = worker.push(ShowIdleTimeout).await.unwrap();
    let record = wait_terminal(&worker, id).await;
    assert_eq!(record.output.as_deref(), Some("\"1min\""), "{record:?}");
    worker.shutdown(Duration::from_secs(5)).await.unwrap();
    db.cleanup().await;
}
