//! cancel, get, wait and shutdown.

use std::time::{Duration, Instant};

use orchestratum::{Cancellation, Error, Finished, Push, State, Status};
use uuid::Uuid;

use super::worker;
use crate::support::commands::*;
use crate::support::{Probe, TestDb, eventually, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

/// Waits until exactly one completed `notify_admin` row has `parent` as parent.
async fn admin_follow_up_completed(db: &TestDb, parent: Uuid) {
    eventually(
        "on_cancellation follow-up completed",
        Duration::from_secs(10),
        || async {
            let sql = format!(
                "SELECT count(*) FROM {} WHERE name = 'notify_admin' AND is_completed",
                db.table()
            );
            (db.count(&sql).await == 1).then_some(())
        },
    )
    .await;
    let rows = db.count_named("notify_admin").await;
    assert_eq!(rows, 1, "follow-up enqueued {rows} times for {parent}");
}

pub async fn wait_returns_typed_output_and_failures(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let ok = orch.push(SimpleCommand { n: 21 }).await.unwrap();
    assert_eq!(
        orch.wait::<SimpleCommand>(ok).await.unwrap(),
        Finished::Completed(42)
    );
    let failing = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(0))
        .await
        .unwrap();
    match orch.wait::<AlwaysFailsCommand>(failing).await.unwrap() {
        Finished::Failed { status, error } => {
            assert_eq!(status, Status::Failed);
            assert!(error.unwrap().contains("invalid digit"));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(matches!(
        orch.wait::<PanicsCommand>(ok).await,
        Err(Error::WrongCommandType { .. })
    ));
    assert!(matches!(
        orch.wait::<SimpleCommand>(Uuid::now_v7()).await,
        Err(Error::NotFound(_))
    ));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

/// `simple`'s stored output read as text: a shape it does not have.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SimpleAsTextCommand;
impl orchestratum::Command for SimpleAsTextCommand {
    type Output = String;
    fn name() -> std::borrow::Cow<'static, str> {
        "simple".into()
    }
}

pub async fn output_and_follow_ups_are_read_without_waiting(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let later = orch
        .push_with(
            SimpleCommand { n: 1 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert_eq!(orch.output::<SimpleCommand>(later).await.unwrap(), None);
    assert!(orch.follow_ups(later).await.unwrap().is_empty());

    let order = orch.push(ProcessOrderCommand { amount: 7 }).await.unwrap();
    wait_terminal(&orch, order).await;
    let done = orch.output::<ProcessOrderCommand>(order).await.unwrap();
    assert_eq!(
        done,
        Some(Finished::Completed(OrderResult {
            order_id: "order-7".into()
        }))
    );
    let children = orch.follow_ups(order).await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name, "send_confirmation_email");
    assert_eq!(children[0].parent_id, Some(order));

    let failing = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(0))
        .await
        .unwrap();
    wait_terminal(&orch, failing).await;
    assert!(matches!(
        orch.output::<AlwaysFailsCommand>(failing).await.unwrap(),
        Some(Finished::Failed {
            status: Status::Failed,
            ..
        })
    ));

    let simple = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    wait_terminal(&orch, simple).await;
    assert!(matches!(
        orch.output::<SimpleAsTextCommand>(simple).await,
        Err(Error::Deserialize { what: "output", .. })
    ));
    assert!(matches!(
        orch.output::<PanicsCommand>(simple).await,
        Err(Error::WrongCommandType { .. })
    ));
    let unknown = Uuid::now_v7();
    assert!(matches!(
        orch.output::<SimpleCommand>(unknown).await,
        Err(Error::NotFound(id)) if id == unknown
    ));
    assert!(matches!(
        orch.follow_ups(unknown).await,
        Err(Error::NotFound(id)) if id == unknown
    ));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn cancel_pending_command(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(
            SleepCommand { millis: 10 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert_eq!(orch.cancel(id).await.unwrap(), Cancellation::Canceled);
    let record = orch.get(id).await.unwrap();
    assert_eq!(record.state(), State::Canceled);
    assert!(record.is_canceled && record.canceled_at.is_some());
    assert_eq!(record.status(), Some(Status::Cancelled));
    admin_follow_up_completed(&db, id).await;
    assert_eq!(probe.count_for("sleep_started", id), 0);
    // A second cancel changes nothing.
    assert_eq!(
        orch.cancel(id).await.unwrap(),
        Cancellation::AlreadyFinished(State::Canceled)
    );
    assert_eq!(db.count_named("notify_admin").await, 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn cancel_running_command(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(
            SleepCommand { millis: 30_000 },
            Push::new().timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    probe
        .wait("sleep_started", 1, Duration::from_secs(10))
        .await;
    assert_eq!(orch.get(id).await.unwrap().state(), State::Running);
    assert_eq!(orch.cancel(id).await.unwrap(), Cancellation::Requested);
    probe
        .wait("sleep_token_fired", 1, Duration::from_secs(5))
        .await;
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Canceled);
    assert_eq!(record.attempt, 1);
    assert_eq!(probe.count_for("sleep_done", id), 0);
    admin_follow_up_completed(&db, id).await;
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn cancel_finished_or_unknown_command(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    wait_terminal(&orch, id).await;
    assert_eq!(
        orch.cancel(id).await.unwrap(),
        Cancellation::AlreadyFinished(State::Completed)
    );
    assert!(orch.get(id).await.unwrap().is_completed);
    let unknown = Uuid::now_v7();
    assert!(matches!(orch.cancel(unknown).await, Err(Error::NotFound(u)) if u == unknown));
    assert!(matches!(orch.get(unknown).await, Err(Error::NotFound(_))));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn handler_can_cancel_its_command(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch.push(SelfCancelCommand).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Canceled);
    // Not retried, retries untouched.
    assert_eq!(record.attempt, 1);
    assert_eq!(record.retries_left, 3);
    assert_eq!(record.last_error.as_deref(), Some("nothing to do"));
    // on_cancellation defaults to on_failure's follow-ups.
    admin_follow_up_completed(&db, id).await;
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn shutdown_releases_leases(db: TestDb) {
    let probe = Probe::new();
    // Within the grace period a running handler finishes normally.
    let orch = worker(&db, &probe).await;
    let quick = orch.push(SleepCommand { millis: 300 }).await.unwrap();
    probe
        .wait("sleep_started", 1, Duration::from_secs(10))
        .await;
    orch.shutdown(Duration::from_secs(10)).await.unwrap();
    let client = db.client().await;
    assert_eq!(client.get(quick).await.unwrap().state(), State::Completed);

    // Past it, the handler is stopped and its lease released without costing a retry.
    let orch = worker(&db, &probe).await;
    let slow = orch
        .push_with(
            SleepCommand { millis: 60_000 },
            Push::new().timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    probe
        .wait("sleep_started", 2, Duration::from_secs(10))
        .await;
    orch.shutdown(Duration::from_millis(200)).await.unwrap();
    let record = client.get(slow).await.unwrap();
    assert_eq!(record.state(), State::Pending, "{record:?}");
    assert!(!record.is_running && record.run_expires_at.is_none());
    assert_eq!(record.retries_left, 3);
    assert_eq!(record.attempt, 1);
    assert_eq!(probe.count_for("sleep_done", slow), 0);

    // Another instance takes it at once, not after the lease would have lapsed.
    let started = Instant::now();
    let next = worker(&db, &probe).await;
    probe.wait("sleep_started", 3, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(probe.count_for("sleep_started", slow), 2);
    next.shutdown(Duration::from_millis(100)).await.unwrap();
}

pub async fn dropped_worker_releases_its_leases(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let client = orch.client();
    let id = orch
        .push_with(
            SleepCommand { millis: 60_000 },
            Push::new().timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    probe
        .wait("sleep_started", 1, Duration::from_secs(10))
        .await;
    drop(orch);
    // The row is free again with its retries untouched. Only a release clears `is_running`: a
    // lapsed lease leaves it set until the next claim, so the deadline can be generous.
    let record =
        crate::support::wait_for(&client, id, "lease released", Duration::from_secs(9), |r| {
            !r.is_running
        })
        .await;
    assert_eq!(record.state(), State::Pending);
    assert_eq!(record.retries_left, 3);
}

pub async fn token_does_not_fire_after_success(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch.push(WatchTokenCommand).await.unwrap();
    assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    // Proving that something does not happen needs a fixed wait: the lease keeper and the
    // completer have both seen the run by then.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(probe.count_for("watch_token_done", id), 1);
    assert_eq!(
        probe.count_for("watch_token_fired", id),
        0,
        "token fired after a successful run"
    );
    // Shutdown stops nothing that already finished.
    orch.shutdown(SHUTDOWN).await.unwrap();
    assert_eq!(probe.count_for("watch_token_fired", id), 0);
}
