//! Distributed execution with real processes, real signals and a real database restart: several
//! `worker` example processes share one database while the test kills, pauses, partitions
//! (through a relay, `support/relay.rs`), cancels and restarts things, then checks the table and
//! the workers' recorded side effects.
//!
//! Each case runs on PostgreSQL and, where it applies, on MySQL/MariaDB (`mysql_*`, with the
//! `mysql` feature). MySQL has no LISTEN/NOTIFY: there, pushes and cancel requests from another
//! process are seen by polling and at lease renewals, so those workers get a short polling
//! interval and lease, and the bounds are stated in terms of them.

#[path = "../support/mod.rs"]
mod support;

mod chaos;
mod faults;
mod partition;
mod pg_cluster;
mod process;
mod workflow;

use std::time::{Duration, Instant};

use orchestratum::{Cancellation, Client, FailureKind, Push, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use process::{Worker, WorkerConfig};
use support::{Backend, TestDb, eventually, wait_for};

/// The example worker's `work` command, as a pusher sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WorkCommand {
    pub(crate) seq: u64,
    pub(crate) first_sleep_ms: u64,
    pub(crate) sleep_ms: u64,
    pub(crate) fail_until: u32,
    pub(crate) chain: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WorkResult {
    pub(crate) pid: u32,
    pub(crate) attempt: u32,
}

impl orchestratum::Command for WorkCommand {
    type Output = WorkResult;
}

impl WorkCommand {
    pub(crate) fn quick(seq: u64) -> Self {
        Self {
            seq,
            first_sleep_ms: 5,
            sleep_ms: 5,
            fail_until: 0,
            chain: false,
        }
    }
}

/// The example worker's `crash` command.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CrashCommand;

impl orchestratum::Command for CrashCommand {
    type Output = ();
}

/// These tests measure bounded times with several processes each: one at a time, so they do
/// not compete for the machine's two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Polling interval of MySQL/MariaDB workers in the cases where a push from another process must
/// be seen quickly: without notifications, the next poll is what wakes them.
const MYSQL_POLL_MS: u64 = 150;

/// True if the backend wakes other processes at once (PostgreSQL's LISTEN/NOTIFY).
pub(crate) fn notifies(db: &TestDb) -> bool {
    db.backend == Backend::Postgres
}

/// `column` (a command id) as text, comparable with the effects table's `command_id`: ids are
/// `uuid` on PostgreSQL, text already on MySQL (`CHAR(36)`) and SQLite.
pub(crate) fn id_text(db: &TestDb, column: &str) -> String {
    match db.backend {
        Backend::Postgres => format!("{column}::text"),
        _ => column.to_owned(),
    }
}

/// `expr` as a 64-bit integer, for [`TestDb::count`] and [`TestDb::triples`].
pub(crate) fn int(db: &TestDb, expr: &str) -> String {
    match db.backend {
        #[cfg(feature = "mysql")]
        Backend::Mysql => format!("CAST({expr} AS SIGNED)"),
        Backend::Postgres | Backend::Sqlite => format!("CAST({expr} AS BIGINT)"),
    }
}

/// Effects of `kind` recorded for one command.
pub(crate) async fn effects(db: &TestDb, id: Uuid, kind: &str) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM {}effects WHERE command_id = '{id}' AND kind = '{kind}'",
        db.prefix
    ))
    .await
}

/// Rows not yet finished.
pub(crate) async fn unfinished(db: &TestDb) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM {} WHERE NOT is_completed AND NOT is_failed AND NOT is_canceled",
        db.table()
    ))
    .await
}

/// Waits until no row is unfinished.
pub(crate) async fn drained(db: &TestDb, deadline: Duration) {
    eventually("every command finished", deadline, || async {
        (unfinished(db).await == 0).then_some(())
    })
    .await;
}

/// The pid that recorded `kind` for `id` first.
pub(crate) async fn pid_of(db: &TestDb, id: Uuid, kind: &str) -> i64 {
    db.count(&format!(
        "SELECT {} FROM {}effects WHERE command_id = '{id}' AND kind = '{kind}'",
        int(db, "min(pid)"),
        db.prefix
    ))
    .await
}

async fn client(db: &TestDb) -> Client {
    db.client().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sharing_routing_and_wakeups() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Postgres, sharing_routing_and_wakeups).await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_sharing_routing_and_wakeups() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Mysql, sharing_routing_and_wakeups).await;
}

/// Two processes share key "a", one has key "b". On PostgreSQL polling is off (one minute):
/// every start is a LISTEN/NOTIFY wake-up. On MySQL a push from another process is seen at the
/// next poll, so the workers poll every `MYSQL_POLL_MS` and the bound includes it.
async fn sharing_routing_and_wakeups(db: TestDb) {
    let client = client(&db).await;
    let mut a = WorkerConfig::new(&db.url, &db.prefix, "a");
    if !notifies(&db) {
        a.poll_ms = MYSQL_POLL_MS;
    }
    let b = WorkerConfig {
        key: "b".into(),
        ..a.clone()
    };
    let (a1, a2, b1) = (
        Worker::start(&a).await,
        Worker::start(&a).await,
        Worker::start(&b).await,
    );

    let for_a = client
        .push_many_with((0..300).map(WorkCommand::quick), Push::new().target("a"))
        .await
        .unwrap();
    let for_b = client
        .push_many_with((300..400).map(WorkCommand::quick), Push::new().target("b"))
        .await
        .unwrap();
    drained(&db, Duration::from_secs(60)).await;

    // Every command ran exactly once (no crash here), and only on a process of its target.
    let twice = db
        .count(&format!(
            "SELECT count(*) FROM (SELECT command_id FROM {}effects WHERE kind = 'started' \
             GROUP BY command_id HAVING count(*) > 1) AS x",
            db.prefix
        ))
        .await;
    assert_eq!(twice, 0, "some command ran twice");
    for id in &for_a {
        assert_eq!(effects(&db, *id, "done").await, 1);
        let pid = pid_of(&db, *id, "started").await;
        assert!(
            pid == i64::from(a1.pid) || pid == i64::from(a2.pid),
            "{id} ran on {pid}"
        );
    }
    for id in &for_b {
        assert_eq!(pid_of(&db, *id, "started").await, i64::from(b1.pid));
    }
    // The two "a" processes shared the work.
    let a_pids = db
        .count(&format!(
            "SELECT count(DISTINCT pid) FROM {}effects WHERE pid IN ({}, {})",
            db.prefix, a1.pid, a2.pid
        ))
        .await;
    assert_eq!(a_pids, 2, "one process of key a did nothing");

    // Push-to-start time across processes: on PostgreSQL with polling effectively off, on MySQL
    // within one polling interval.
    let mut latencies = Vec::new();
    for seq in 1000..1010 {
        let pushed = Instant::now();
        let id = client
            .push_with(WorkCommand::quick(seq), Push::new().target("a"))
            .await
            .unwrap();
        eventually("started", Duration::from_secs(10), || async {
            (effects(&db, id, "started").await == 1).then_some(())
        })
        .await;
        latencies.push(pushed.elapsed());
    }
    latencies.sort();
    eprintln!("push-to-start across processes: {latencies:?}");
    // Bounded far below the 60 s polling interval on PostgreSQL; by the polling interval plus
    // the same slack on MySQL (the effect is observed by polling every 10 ms).
    let bound = if notifies(&db) {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(a.poll_ms) + Duration::from_secs(1)
    };
    assert!(latencies[latencies.len() - 1] < bound, "{latencies:?}");

    for w in [a1, a2, b1] {
        assert!(
            w.terminate().await.success(),
            "a worker did not exit 0 after SIGTERM"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crash_recovery() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Postgres, crash_recovery).await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_crash_recovery() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Mysql, crash_recovery).await;
}

/// SIGKILL mid-command: another process runs it within lease + polling interval, and the lapse
/// cost a retry; a command that kills its worker every time ends failed.
async fn crash_recovery(db: TestDb) {
    let client = client(&db).await;
    let mut config = WorkerConfig::new(&db.url, &db.prefix, "a");
    config.lease_ms = 2_000;
    config.poll_ms = 500;
    let first = Worker::start(&config).await;
    let id = client
        .push_with(
            WorkCommand {
                first_sleep_ms: 60_000,
                ..WorkCommand::quick(1)
            },
            Push::new()
                .target("a")
                .retries(3)
                .timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    eventually("started", Duration::from_secs(10), || async {
        (effects(&db, id, "started").await == 1).then_some(())
    })
    .await;
    let second = Worker::start(&config).await;
    let killed_at = Instant::now();
    first.kill().await;
    let record = wait_for(
        &client,
        id,
        "rerun after the crash",
        Duration::from_secs(15),
        |r| r.state().is_terminal(),
    )
    .await;
    let recovered = killed_at.elapsed();
    eprintln!("crash recovered after {recovered:?}");
    assert_eq!(record.state(), State::Completed);
    assert!(
        recovered < Duration::from_millis(2_000 + 500 + 2_000),
        "recovered after {recovered:?}"
    );
    assert_eq!(record.attempt, 2);
    assert_eq!(record.retries_left, 2, "the lapsed lease cost one retry");
    assert_eq!(pid_of(&db, id, "done").await, i64::from(second.pid));

    // A command that kills its worker every time: restart workers until it is finished.
    let crash = client
        .push_with(CrashCommand, Push::new().target("a").retries(2))
        .await
        .unwrap();
    let mut worker = Some(second);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let record = client.get(crash).await.unwrap();
        if record.state().is_terminal() {
            break;
        }
        assert!(Instant::now() < deadline, "crash command still {record:?}");
        if !worker.as_mut().is_some_and(Worker::is_running) {
            worker = Some(Worker::start(&config).await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let record = client.get(crash).await.unwrap();
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.retries_left, -1);
    assert_eq!(record.last_outcome, Some(FailureKind::LeaseExpired));
    assert_eq!(
        effects(&db, crash, "started").await,
        3,
        "retries 2 means at most 3 runs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_paused_worker_is_fenced() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Postgres, paused_worker_is_fenced).await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_paused_worker_is_fenced() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Mysql, paused_worker_is_fenced).await;
}

/// SIGSTOP past the lease, another process runs the command, SIGCONT: the paused process can
/// neither overwrite the outcome nor enqueue follow-ups again, and it stops its handler.
async fn paused_worker_is_fenced(db: TestDb) {
    let client = client(&db).await;
    let mut config = WorkerConfig::new(&db.url, &db.prefix, "a");
    config.lease_ms = 1_000;
    config.poll_ms = 200;
    let paused = Worker::start(&config).await;
    let id = client
        .push_with(
            WorkCommand {
                first_sleep_ms: 60_000,
                sleep_ms: 10,
                chain: true,
                ..WorkCommand::quick(7)
            },
            Push::new().target("a").timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    eventually("started", Duration::from_secs(10), || async {
        (effects(&db, id, "started").await == 1).then_some(())
    })
    .await;
    paused.signal("STOP");
    let other = Worker::start(&config).await;
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

    paused.signal("CONT");
    // It finds it could not renew its lease, and stops its handler.
    eventually("paused handler stopped", Duration::from_secs(10), || async {
        let sql = format!(
            "SELECT count(*) FROM {}effects WHERE command_id = '{id}' AND kind = 'token_fired' AND pid = {}",
            db.prefix, paused.pid
        );
        (db.count(&sql).await == 1).then_some(())
    })
    .await;
    eventually("lease loss logged", Duration::from_secs(10), || async {
        let log = paused.log();
        (log.contains("lease lost") || log.contains("outcome not written")).then_some(())
    })
    .await;
    let after = client.get(id).await.unwrap();
    assert_eq!(
        after.output, record.output,
        "the paused process overwrote the outcome"
    );
    assert_eq!(after.completed_at, record.completed_at);
    assert_eq!(db.count(&follow_ups).await, 1, "follow-ups enqueued twice");
    assert_eq!(effects(&db, id, "done").await, 1);
    assert!(other.terminate().await.success());
    assert!(paused.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cancel_across_processes() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Postgres, cancel_across_processes).await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_cancel_across_processes() {
    let _serial = SERIAL.lock().await;
    support::run(Backend::Mysql, cancel_across_processes).await;
}

/// `cancel(id)` from this process fires the token of the handler running in another one: at
/// once on PostgreSQL (a notification makes the worker renew), at the next lease renewal (every
/// half lease) on MySQL, whose workers therefore get a short lease here.
async fn cancel_across_processes(db: TestDb) {
    let client = client(&db).await;
    let mut config = WorkerConfig::new(&db.url, &db.prefix, "a");
    if !notifies(&db) {
        config.lease_ms = 2_000;
        config.poll_ms = 200;
    }
    let worker = Worker::start(&config).await;
    let id = client
        .push_with(
            WorkCommand {
                first_sleep_ms: 60_000,
                ..WorkCommand::quick(3)
            },
            Push::new().target("a").timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    eventually("started", Duration::from_secs(10), || async {
        (effects(&db, id, "started").await == 1).then_some(())
    })
    .await;
    let asked = Instant::now();
    assert_eq!(client.cancel(id).await.unwrap(), Cancellation::Requested);
    eventually(
        "token fired in the other process",
        Duration::from_secs(10),
        || async { (effects(&db, id, "token_fired").await == 1).then_some(()) },
    )
    .await;
    let delivered = asked.elapsed();
    eprintln!("cancel reached the other process after {delivered:?}");
    // PostgreSQL: the lease (10 s) is renewed every 5 s; the cancel notification makes it
    // immediate. MySQL: the request is seen at the next renewal, within a third of the lease
    // (the bound keeps half, for a renewal that ran late).
    let bound = if notifies(&db) {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(config.lease_ms / 2) + Duration::from_secs(1)
    };
    assert!(
        delivered < bound,
        "cancel took {delivered:?} to reach the handler (bound {bound:?})"
    );
    let record = wait_for(&client, id, "canceled", Duration::from_secs(10), |r| {
        r.state().is_terminal()
    })
    .await;
    assert_eq!(record.state(), State::Canceled);
    let follow_up = format!(
        "SELECT count(*) FROM {} WHERE parent_id = '{id}' AND is_completed",
        db.table()
    );
    eventually(
        "on_cancellation follow-up ran",
        Duration::from_secs(10),
        || async { (db.count(&follow_up).await == 1).then_some(()) },
    )
    .await;
    assert_eq!(effects(&db, id, "done").await, 0);
    assert!(worker.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_database_restart() {
    let _serial = SERIAL.lock().await;
    let cluster = pg_cluster::PgCluster::start();
    let db = TestDb::at(Backend::Postgres, &cluster.url());
    let client = db.client().await;
    let mut config = WorkerConfig::new(&db.url, &db.prefix, "a");
    config.lease_ms = 3_000;
    config.poll_ms = 500;
    let workers = [Worker::start(&config).await, Worker::start(&config).await];
    let work = |seq| WorkCommand {
        first_sleep_ms: 20,
        sleep_ms: 20,
        ..WorkCommand::quick(seq)
    };
    let ids = client
        .push_many_with((0..400).map(work), Push::new().target("a"))
        .await
        .unwrap();
    eventually("load under way", Duration::from_secs(30), || async {
        let done = db
            .count(&format!(
                "SELECT count(*) FROM {} WHERE is_completed",
                db.table()
            ))
            .await;
        (done >= 50).then_some(())
    })
    .await;

    cluster.pg_ctl_stop();
    // A push during the outage is an error, never a silent drop.
    let err = client
        .push_with(work(9_999), Push::new().target("a"))
        .await
        .unwrap_err();
    eprintln!("push during the outage: {err}");
    assert!(
        matches!(
            err,
            orchestratum::Error::Database(_) | orchestratum::Error::Connect { .. }
        ),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.pg_ctl_start();

    drained(&db, Duration::from_secs(90)).await;
    let running = db
        .count(&format!(
            "SELECT count(*) FROM {} WHERE is_running",
            db.table()
        ))
        .await;
    assert_eq!(running, 0, "commands stuck running");
    for id in &ids {
        let record = client.get(*id).await.unwrap();
        assert!(record.state().is_terminal());
        if record.is_completed {
            assert!(
                effects(&db, *id, "done").await >= 1,
                "{id} completed without its side effect"
            );
        }
    }
    let completed = db
        .count(&format!(
            "SELECT count(*) FROM {} WHERE is_completed",
            db.table()
        ))
        .await;
    assert_eq!(
        completed, 400,
        "some commands did not complete after the restart"
    );
    for w in workers {
        let log = w.log();
        assert!(log.contains("failed"), "the worker did not log the outage");
        assert!(w.terminate().await.success());
    }
}
