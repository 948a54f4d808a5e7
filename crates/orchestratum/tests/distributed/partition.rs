//! A network partition between one worker process and the database: its connection goes
//! through a relay that the test freezes for longer than the lease while the worker runs a
//! command. The worker must stop the run before its lease lapses; another process runs the
//! command; after the thaw the partitioned worker changes nothing.

use std::time::{Duration, Instant};

use orchestratum::Push;
use uuid::Uuid;

use super::process::{Worker, WorkerConfig};
use super::support::relay::Relay;
use super::support::{Backend, TestDb, eventually, wait_for};
use super::{WorkCommand, WorkResult, effects, int};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_partitioned_worker_is_fenced() {
    let _serial = super::SERIAL.lock().await;
    super::support::run(Backend::Postgres, partitioned_worker_is_fenced).await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_partitioned_worker_is_fenced() {
    let _serial = super::SERIAL.lock().await;
    super::support::run(Backend::Mysql, partitioned_worker_is_fenced).await;
}

/// When `pid` recorded `kind` for `id`, by the host's clock in milliseconds.
async fn effect_at(db: &TestDb, id: Uuid, kind: &str, pid: u32) -> Option<i64> {
    let filter = format!(
        "FROM {}effects WHERE command_id = '{id}' AND kind = '{kind}' AND pid = {pid}",
        db.prefix
    );
    if db.count(&format!("SELECT count(*) {filter}")).await == 0 {
        return None;
    }
    Some(
        db.count(&format!("SELECT {} {filter}", int(db, "min(at_ms)")))
            .await,
    )
}

async fn partitioned_worker_is_fenced(db: TestDb) {
    let client = db.client().await;
    let relay = Relay::to_database(&db.url).await;
    let mut direct = WorkerConfig::new(&db.url, &db.prefix, "a");
    direct.lease_ms = 2_000;
    direct.poll_ms = 200;
    // Only Orchestratum's connection is cut: its effects still reach the table directly.
    let through_relay = WorkerConfig {
        url: relay.url_for(&db.url),
        ..direct.clone()
    };
    let partitioned = Worker::start(&through_relay).await;
    let id = client
        .push_with(
            WorkCommand {
                first_sleep_ms: 60_000,
                sleep_ms: 10,
                chain: true,
                ..WorkCommand::quick(11)
            },
            Push::new().target("a").timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    eventually("started", Duration::from_secs(10), || async {
        (effects(&db, id, "started").await == 1).then_some(())
    })
    .await;
    relay.freeze();
    let frozen_at = Instant::now();
    let other = Worker::start(&direct).await;
    let record = wait_for(
        &client,
        id,
        "completed by the other process",
        Duration::from_secs(15),
        |r| r.is_completed,
    )
    .await;
    let output: WorkResult = serde_json::from_str(record.output.as_deref().unwrap()).unwrap();
    assert_eq!(output.pid, other.pid);
    let follow_ups = format!(
        "SELECT count(*) FROM {} WHERE parent_id = '{id}'",
        db.table()
    );
    assert_eq!(db.count(&follow_ups).await, 1);
    // Frozen for longer than the lease, whatever the other process took.
    let lease = Duration::from_millis(direct.lease_ms);
    let frozen_for = lease + Duration::from_millis(500);
    if let Some(rest) = frozen_for.checked_sub(frozen_at.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    relay.thaw();

    // The partitioned run must have ended before the other one began: a correct runtime drops
    // it by 3/4 of the lease, long before the lapse that lets the other process claim it.
    let stopped = eventually(
        "the partitioned worker's run stopped",
        Duration::from_secs(10),
        || effect_at(&db, id, "stopped", partitioned.pid),
    )
    .await;
    let other_started = effect_at(&db, id, "started", other.pid)
        .await
        .expect("the other process recorded its start");
    eprintln!(
        "partitioned run stopped at {:+} ms from the other process's start",
        stopped - other_started
    );
    assert!(
        stopped <= other_started,
        "the partitioned worker's run lived until {} ms after the other process started the \
         command: two live runs",
        stopped - other_started
    );

    // Once it drained, the partitioned worker has sent whatever it held back.
    assert!(partitioned.terminate().await.success());
    let after = client.get(id).await.unwrap();
    assert_eq!(
        after.output, record.output,
        "the partitioned process overwrote the outcome"
    );
    assert_eq!(after.completed_at, record.completed_at);
    assert_eq!(db.count(&follow_ups).await, 1, "follow-ups enqueued twice");
    assert_eq!(effects(&db, id, "done").await, 1);
    assert_eq!(effects(&db, id, "started").await, 2);
    assert!(other.terminate().await.success());
}
