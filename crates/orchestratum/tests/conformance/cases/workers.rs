//! The worker registry (issue 10): a running instance registers, heartbeats with its in-flight
//! count and leaves at shutdown; gone workers show as gone and are swept; commands no live
//! worker handles are reported.

use std::time::Duration;

use orchestratum::Push;

use super::{HoldCommand, HoldHandler};
use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, eventually};

pub async fn worker_registers_heartbeats_and_leaves(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .lock_timeout_buffer(Duration::from_secs(1))
        .handler(HoldHandler(probe.clone()))
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let client = db.client().await;
    let workers = client.workers().await.unwrap();
    assert_eq!(workers.len(), 1, "registered at start: {workers:?}");
    let me = &workers[0];
    assert_eq!(me.worker_id, orch.worker_id());
    assert_eq!(me.instance_key, "test");
    assert_eq!(me.names, ["hold", "simple"]);
    assert_eq!(me.pid, i64::from(std::process::id()));
    assert_eq!(me.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(me.max_command_pull, 100);
    assert_eq!(me.lease, Duration::from_secs(1));
    assert!(me.alive && !me.host.is_empty(), "{me:?}");
    let first_beat = me.heartbeat_at;
    // Heartbeats every half lease, with the runs it holds.
    let hold = HoldCommand {
        millis: 3_000,
        cleanup_ms: 0,
        ignore_token: false,
    };
    let id = orch.push(hold).await.unwrap();
    eventually(
        "a heartbeat with one run in flight",
        Duration::from_secs(5),
        || async {
            let w = client.workers().await.unwrap().pop()?;
            (w.heartbeat_at > first_beat && w.in_flight == 1).then_some(())
        },
    )
    .await;
    orch.cancel(id).await.unwrap();
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
    assert!(
        client.workers().await.unwrap().is_empty(),
        "a clean shutdown removes the row"
    );
}

pub async fn gone_workers_show_as_gone_and_are_swept(db: TestDb) {
    let client = db.client().await;
    // A worker that died an hour ago without removing its row.
    let (ago, id) = match db.backend {
        Backend::Postgres => (
            "now() - interval '1 hour'",
            uuid::Uuid::now_v7().to_string(),
        ),
        Backend::Sqlite => (
            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-1 hour')",
            uuid::Uuid::now_v7().to_string().to_uppercase(),
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => (
            "UTC_TIMESTAMP(6) - INTERVAL 1 HOUR",
            uuid::Uuid::now_v7().to_string(),
        ),
    };
    db.exec(&format!(
        "INSERT INTO {} (worker_id, instance_key, host, pid, version, names, max_command_pull, \
         lease_ms, started_at, heartbeat_at, in_flight) \
         VALUES ('{id}', 'test', 'old-host', 1, '0.0.1', '[\"simple\"]', 10, 10000, {ago}, {ago}, 3)",
        db.quoted("workers")
    ))
    .await;
    let listed = client.workers().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].alive, "its heartbeat is older than three leases");
    assert_eq!(listed[0].host, "old-host");
    // Any live worker's heartbeat forgets it.
    let probe = Probe::new();
    let orch = db
        .builder()
        .lock_timeout_buffer(Duration::from_secs(1))
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    eventually(
        "the gone worker to be swept",
        Duration::from_secs(5),
        || async {
            let workers = client.workers().await.unwrap();
            (workers.len() == 1 && workers[0].worker_id == orch.worker_id()).then_some(())
        },
    )
    .await;
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn commands_no_live_worker_handles_are_reported(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SleepHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    // No worker has a handler for this name, none runs for this target; the last one runs.
    let nobody = orch.push(UnhandledCommand).await.unwrap();
    let elsewhere = orch
        .push_with(SleepCommand { millis: 1 }, Push::new().target("elsewhere"))
        .await
        .unwrap();
    let later = orch
        .push_with(
            SleepCommand { millis: 1 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    let _ = (nobody, elsewhere, later);
    let found = orch.unhandled(Duration::ZERO).await.unwrap();
    let pairs: Vec<(&str, &str, i64)> = found
        .iter()
        .map(|u| (u.target.as_str(), u.name.as_str(), u.waiting))
        .collect();
    assert_eq!(pairs, [("elsewhere", "sleep", 1), ("test", "unhandled", 1)]);
    // Not yet old enough: nothing to report.
    assert!(
        orch.unhandled(Duration::from_secs(3600))
            .await
            .unwrap()
            .is_empty()
    );
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
    // With the worker gone, its own names are unhandled too (the delayed one is not due).
    let after = db.client().await.unhandled(Duration::ZERO).await.unwrap();
    assert_eq!(after.len(), 2, "{after:?}");
}
