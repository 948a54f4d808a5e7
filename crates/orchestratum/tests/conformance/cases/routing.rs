//! Naming, routing by instance key and name, wake-ups and the in-flight cap.

use std::time::{Duration, Instant};

use orchestratum::{Command, Push, State};

use super::{with_all_handlers, worker};
use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, eventually, wait_for, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

pub async fn naming_convention_and_override(db: TestDb) {
    assert_eq!(
        SendConfirmationEmailCommand::name(),
        "send_confirmation_email"
    );
    assert_eq!(ProcessOrderCommand::name(), "process_order");
    assert_eq!(RenamedCommand::name(), "custom.renamed");
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch.push(RenamedCommand).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.name, "custom.renamed");
    assert_eq!(record.state(), State::Completed);
    assert_eq!(probe.count_for("renamed", id), 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn local_push_wakes_the_worker_at_once(db: TestDb) {
    let probe = Probe::new();
    // A long polling interval: only a wake-up can explain a prompt start.
    let orch = with_all_handlers(&db, &probe)
        .polling_interval(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    // Let the worker go idle first.
    let first = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    wait_terminal(&orch, first).await;
    let started = Instant::now();
    let id = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    probe.wait("simple", 2, Duration::from_secs(10)).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn target_must_match_exactly(db: TestDb) {
    // MySQL compares `target` under the column's collation, which may ignore case, accents and
    // trailing spaces; routing must not.
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let mut near_misses = Vec::new();
    for target in ["Test", "TEST", "test ", "tést"] {
        near_misses.push(
            orch.push_with(SimpleCommand { n: 1 }, Push::new().target(target))
                .await
                .unwrap(),
        );
    }
    // Pushed after them and due after them: once this one ran, the worker has looked past them.
    let marker = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, marker).await.state(), State::Completed);
    for id in near_misses {
        let record = orch.get(id).await.unwrap();
        assert_eq!(record.state(), State::Pending, "{:?}", record.target);
        assert_eq!(record.attempt, 0, "{:?}", record.target);
    }
    assert_eq!(probe.count("simple"), 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn unregistered_name_is_never_claimed(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let unhandled = orch.push(UnhandledCommand).await.unwrap();
    // Pushed after it and due after it: once this one ran, the worker has looked past the first.
    let marker = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    wait_terminal(&orch, marker).await;
    let record = orch.get(unhandled).await.unwrap();
    assert_eq!(record.state(), State::Pending);
    assert_eq!(record.attempt, 0);
    assert!(!record.is_running && record.running_at.is_none());
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn other_instance_keys_command_is_never_claimed(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let elsewhere = orch
        .push_with(SimpleCommand { n: 1 }, Push::new().target("elsewhere"))
        .await
        .unwrap();
    let marker = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    wait_terminal(&orch, marker).await;
    let record = orch.get(elsewhere).await.unwrap();
    assert_eq!(record.state(), State::Pending);
    assert_eq!(record.attempt, 0);
    assert_eq!(probe.count_for("simple", elsewhere), 0);
    orch.shutdown(SHUTDOWN).await.unwrap();

    // An instance with that key takes it.
    let other = with_all_handlers(&db, &probe)
        .instance_key("elsewhere")
        .start()
        .await
        .unwrap();
    assert_eq!(
        wait_terminal(&other, elsewhere).await.state(),
        State::Completed
    );
    other.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn in_flight_never_exceeds_max_command_pull(db: TestDb) {
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .max_command_pull(2)
        .start()
        .await
        .unwrap();
    let ids = orch
        .push_many((0..6).map(|_| SleepCommand { millis: 200 }))
        .await
        .unwrap();
    for id in ids {
        assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    }
    assert_eq!(probe.count("sleep_done"), 6);
    assert_eq!(probe.max_concurrent("sleep_started", "sleep_done"), 2);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

/// A worker claims ahead of its free slots (at least a quarter of `max_command_pull`, and at
/// least one; more at a fast pace). At shutdown a
/// command claimed ahead that never started is released at once: lease cleared, no retry
/// charged, its handler never run; another worker then runs it.
pub async fn claimed_ahead_is_released_at_shutdown(db: TestDb) {
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .max_command_pull(2)
        .start()
        .await
        .unwrap();
    let ids = orch
        .push_many((0..3).map(|_| SleepCommand { millis: 1_000 }))
        .await
        .unwrap();
    for &id in &ids {
        wait_for(&orch, id, "claimed", Duration::from_secs(10), |r| {
            r.is_running
        })
        .await;
    }
    probe
        .wait("sleep_started", 2, Duration::from_secs(10))
        .await;
    let waiting: Vec<_> = ids
        .iter()
        .copied()
        .filter(|&id| probe.count_for("sleep_started", id) == 0)
        .collect();
    assert_eq!(waiting.len(), 1, "two run, one waits claimed ahead");
    orch.shutdown(SHUTDOWN).await.unwrap();
    let client = db.client().await;
    let released = client.get(waiting[0]).await.unwrap();
    assert_eq!(released.state(), State::Pending, "{released:?}");
    assert!(!released.is_running, "lease cleared: {released:?}");
    assert_eq!(released.retries_left, 3, "no retry charged: {released:?}");
    assert_eq!(probe.count_for("sleep_started", waiting[0]), 0);
    assert_eq!(probe.max_concurrent("sleep_started", "sleep_done"), 2);
    let again = with_all_handlers(&db, &probe).start().await.unwrap();
    let record = wait_terminal(&again, waiting[0]).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.retries_left, 3);
    again.shutdown(SHUTDOWN).await.unwrap();
}

/// A run slot is free again as soon as its handler returns, before its outcome is written:
/// with one run slot, the command claimed ahead starts while the first one's outcome write
/// waits on a lock another transaction holds on its row.
pub async fn a_run_slot_frees_before_the_outcome_is_written(db: TestDb) {
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .max_command_pull(1)
        .start()
        .await
        .unwrap();
    let first = orch.push(SleepCommand { millis: 1_000 }).await.unwrap();
    probe
        .wait("sleep_started", 1, Duration::from_secs(10))
        .await;
    let second = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    wait_for(
        &orch,
        second,
        "claimed ahead",
        Duration::from_secs(10),
        |r| r.is_running,
    )
    .await;
    assert_eq!(probe.count_for("simple", second), 0, "one run slot");
    let lock = match db.backend {
        // SQLite locks the whole database for writing.
        Backend::Sqlite => "BEGIN IMMEDIATE".to_owned(),
        _ => format!(
            "BEGIN; SELECT id FROM {} WHERE id = {} FOR UPDATE",
            db.table(),
            db.id_literal(first)
        ),
    };
    let held = db.hold(&lock).await;
    probe.wait("sleep_done", 1, Duration::from_secs(10)).await;
    eventually(
        "the second command to start",
        Duration::from_secs(10),
        || async { (probe.count_for("simple", second) == 1).then_some(()) },
    )
    .await;
    let record = orch.get(first).await.unwrap();
    assert!(
        record.is_running && !record.is_completed,
        "the first outcome is still unwritten: {record:?}"
    );
    held.release().await;
    assert_eq!(wait_terminal(&orch, first).await.state(), State::Completed);
    assert_eq!(wait_terminal(&orch, second).await.state(), State::Completed);
    assert_eq!(probe.max_concurrent("sleep_started", "sleep_done"), 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

/// A cancel request reaches a command claimed ahead: it ends canceled without its handler
/// ever starting.
pub async fn cancel_reaches_a_command_claimed_ahead(db: TestDb) {
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .max_command_pull(2)
        .start()
        .await
        .unwrap();
    orch.push_many((0..2).map(|_| SleepCommand { millis: 1_500 }))
        .await
        .unwrap();
    probe
        .wait("sleep_started", 2, Duration::from_secs(10))
        .await;
    let id = orch.push(SimpleCommand { n: 7 }).await.unwrap();
    wait_for(&orch, id, "claimed ahead", Duration::from_secs(10), |r| {
        r.is_running
    })
    .await;
    orch.cancel(id).await.unwrap();
    assert_eq!(wait_terminal(&orch, id).await.state(), State::Canceled);
    assert_eq!(probe.count_for("simple", id), 0, "never started");
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn follow_up_runs_without_waiting_for_a_poll(db: TestDb) {
    let probe = Probe::new();
    // Polling once a minute: on SQLite nothing but the completer's own wake-up can start the
    // follow-up promptly.
    let orch = with_all_handlers(&db, &probe)
        .polling_interval(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let warmup = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    wait_terminal(&orch, warmup).await;
    let started = Instant::now();
    orch.push(ProcessOrderCommand { amount: 3 }).await.unwrap();
    probe
        .wait("confirmation_email", 1, Duration::from_secs(10))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "follow-up started after {:?}",
        started.elapsed()
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn next_due_reports_the_earliest_claimable_time(db: TestDb) {
    // What an idle claimer sleeps on when nothing wakes it (an error there would be swallowed
    // into the polling interval, so it is checked directly).
    let client = db.client().await;
    let names = vec!["simple".to_owned()];
    let store = client.store();
    assert_eq!(store.next_due("test", &names).await.unwrap(), None);
    client
        .push_with(
            SimpleCommand { n: 1 },
            Push::new().delay(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    // SQLite computes it from `julianday` floats, a few microseconds off either way.
    let due = store.next_due("test", &names).await.unwrap().unwrap();
    assert!(
        due > Duration::from_secs(50) && due < Duration::from_secs(61),
        "{due:?}"
    );
    // Other targets and names do not count; the exact key only.
    assert_eq!(store.next_due("Test", &names).await.unwrap(), None);
    assert_eq!(
        store.next_due("test", &["other".to_owned()]).await.unwrap(),
        None
    );
    client.push(SimpleCommand { n: 2 }).await.unwrap();
    let due = store.next_due("test", &names).await.unwrap().unwrap();
    assert!(due < Duration::from_secs(1), "{due:?}");
}
