//! The operators' store operations (used by the CLI): migration status and downgrade,
//! summary, list, follow-ups, retry and prune.

use std::time::Duration;

use orchestratum::admin::Accuracy;
use orchestratum::store::{DowngradeParams, ListParams, PruneParams, Since, StatsDelta};
use orchestratum::{Error, Push, State, Step, Workflow};

use super::worker;
use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

fn all(limit: usize) -> ListParams<'static> {
    ListParams {
        state: None,
        name: None,
        target: None,
        since: None,
        limit,
    }
}

/// Marks a command as running under a lease that lapsed a minute ago, as a dead worker leaves it.
async fn lapse(db: &TestDb, id: uuid::Uuid) {
    lease(db, id, false).await;
}

/// Marks a command as running under a lease that lapsed a minute ago, or (`live`) that ends
/// in an hour.
async fn lease(db: &TestDb, id: uuid::Uuid, live: bool) {
    let id = db.id_literal(id);
    let (pg, sqlite, mysql) = if live {
        (
            "+ interval '1 hour'",
            "2999-01-01 00:00:00.000+00:00",
            "+ INTERVAL 1 HOUR",
        )
    } else {
        (
            "- interval '1 minute'",
            "2000-01-01 00:01:00.000+00:00",
            "- INTERVAL 1 MINUTE",
        )
    };
    let sql = match db.backend {
        Backend::Postgres => format!(
            "UPDATE {} SET is_running = true, running_at = now() - interval '2 minutes', \
             run_expires_at = now() {pg}, attempt = 1 WHERE id = {id}",
            db.table()
        ),
        Backend::Sqlite => format!(
            "UPDATE {} SET is_running = 1, running_at = '2000-01-01 00:00:00.000+00:00', \
             run_expires_at = '{sqlite}', attempt = 1 WHERE id = {id}",
            db.table()
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => format!(
            "UPDATE {} SET is_running = TRUE, running_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE, \
             run_expires_at = UTC_TIMESTAMP(6) {mysql}, attempt = 1 WHERE id = {id}",
            db.table()
        ),
    };
    let _ = mysql; // unused without the `mysql` feature
    db.exec(&sql).await;
}

pub async fn admin_list_filters_newest_first(db: TestDb) {
    let client = db.client().await;
    let a = client.push(SimpleCommand { n: 1 }).await.unwrap();
    let b = client
        .push_with(SimpleCommand { n: 2 }, Push::new().target("elsewhere"))
        .await
        .unwrap();
    let c = client
        .push_with(
            UnhandledCommand,
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    let store = client.store();

    let ids =
        |rs: Vec<orchestratum::CommandRecord>| rs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    // Newest scheduled_at first: the delayed one, then the later push.
    assert_eq!(ids(store.list(all(10)).await.unwrap()), vec![c, b, a]);
    assert_eq!(ids(store.list(all(2)).await.unwrap()), vec![c, b]);
    let by_state = ListParams {
        state: Some(State::Scheduled),
        ..all(10)
    };
    assert_eq!(ids(store.list(by_state).await.unwrap()), vec![c]);
    let pending = ListParams {
        state: Some(State::Pending),
        ..all(10)
    };
    assert_eq!(ids(store.list(pending).await.unwrap()), vec![b, a]);
    let by_name = ListParams {
        name: Some("simple"),
        ..all(10)
    };
    assert_eq!(ids(store.list(by_name).await.unwrap()), vec![b, a]);
    let by_target = ListParams {
        target: Some("elsewhere"),
        ..all(10)
    };
    assert_eq!(ids(store.list(by_target).await.unwrap()), vec![b]);
    let recent = ListParams {
        since: Some(Since::Ago(Duration::from_secs(600))),
        ..all(10)
    };
    assert_eq!(store.list(recent).await.unwrap().len(), 3);
    let future = ListParams {
        since: Some(Since::At(
            chrono::Utc::now() + chrono::Duration::minutes(30),
        )),
        ..all(10)
    };
    assert_eq!(ids(store.list(future).await.unwrap()), vec![c]);
    let past = ListParams {
        since: Some(Since::At(
            chrono::Utc::now() - chrono::Duration::minutes(30),
        )),
        ..all(10)
    };
    assert_eq!(store.list(past).await.unwrap().len(), 3);
}

/// Runs one `simple` command to completion and one `always_fails` to failure, and cancels a
/// `simple` one nobody ran.
async fn one_of_each_finished(orch: &orchestratum::Orchestratum) {
    let done = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    let failed = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(0))
        .await
        .unwrap();
    let canceled = orch
        .push_with(
            SimpleCommand { n: 3 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    orch.cancel(canceled).await.unwrap();
    wait_terminal(orch, done).await;
    wait_terminal(orch, failed).await;
}

pub async fn admin_summary_counts_states_and_lapsed_leases(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    one_of_each_finished(&orch).await;
    // Rows no worker of this instance takes: another target, and one due later.
    orch.push_with(SimpleCommand { n: 4 }, Push::new().target("elsewhere"))
        .await
        .unwrap();
    let lapsed = orch
        .push_with(SimpleCommand { n: 5 }, Push::new().target("elsewhere"))
        .await
        .unwrap();
    orch.push_with(
        SimpleCommand { n: 6 },
        Push::new()
            .target("elsewhere")
            .delay(Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    lapse(&db, lapsed).await;
    orch.shutdown(SHUTDOWN).await.unwrap();

    let s = db.client().await.store().summary(10).await.unwrap();
    let c = s.by_state;
    assert_eq!(
        (
            c.pending,
            c.scheduled,
            c.running,
            c.completed,
            c.failed,
            c.canceled
        ),
        (2, 1, 0, 1, 1, 1),
        "{s:?}"
    );
    assert_eq!(c.total(), 6);
    assert_eq!(s.by_target["elsewhere"].pending, 2);
    assert_eq!(s.by_target["elsewhere"].scheduled, 1);
    assert_eq!(s.by_target["test"].total(), 3);
    assert_eq!(s.by_name["simple"].total(), 5);
    assert_eq!(s.by_name["always_fails"].failed, 1);
    assert_eq!(s.expired_leases, 1);
    assert_eq!(s.expired.len(), 1);
    assert_eq!(s.expired[0].id, lapsed);
    // The lapsed row and the other due one count as pending: the oldest is known.
    assert!(s.oldest_pending_age.is_some());

    let empty = TestDb::new(db.backend).await;
    let s = empty.client().await.store().summary(10).await.unwrap();
    assert_eq!(s.by_state.total(), 0);
    assert_eq!(s.oldest_pending_age, None);
    empty.cleanup().await;
}

/// The overview counts the unfinished states exactly (as the summary does) by state, name
/// and target, takes the finished ones from the stats table over its window (a name with no
/// row left is counted, a bucket before the window is not), and gives the table's row
/// estimate (exact on SQLite).
pub async fn admin_overview_counts_unfinished_exactly_and_finished_from_stats(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    one_of_each_finished(&orch).await;
    orch.shutdown(SHUTDOWN).await.unwrap();

    // Unfinished rows nobody runs: due, lapsed, held under a live lease, scheduled, and a
    // workflow's step waiting for its parent.
    let client = db.client().await;
    let elsewhere = || Push::new().target("elsewhere");
    client
        .push_with(SimpleCommand { n: 4 }, elsewhere())
        .await
        .unwrap();
    let lapsed = client
        .push_with(SimpleCommand { n: 5 }, elsewhere())
        .await
        .unwrap();
    lapse(&db, lapsed).await;
    let held = client
        .push_with(UnhandledCommand, elsewhere())
        .await
        .unwrap();
    lease(&db, held, true).await;
    client
        .push_with(
            SimpleCommand { n: 6 },
            elsewhere().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    client
        .push_workflow(
            Workflow::new("pair")
                .step(Step::with("a", SimpleCommand { n: 7 }, elsewhere()))
                .step(Step::with("b", SimpleCommand { n: 8 }, elsewhere()).after("a")),
        )
        .await
        .unwrap();
    // Stats for a name whose rows are gone, and one bucket before the window.
    let now = chrono::Utc::now().timestamp().div_euclid(60);
    let delta = |minute, count| StatsDelta {
        minute,
        name: "pruned".into(),
        outcome: "completed",
        count,
        run_us: 0,
    };
    let store = client.store();
    store
        .add_stats(&[delta(now - 120, 100), delta(now - 5, 7)])
        .await
        .unwrap();

    let since = chrono::Utc::now() - chrono::Duration::minutes(60);
    let o = client.admin().overview(10, Some(since)).await.unwrap();
    let exact = |s: State| o.by_state.get(s).map(|c| (c.n, c.accuracy));
    assert_eq!(exact(State::Pending), Some((3, Accuracy::Exact)), "{o:?}");
    assert_eq!(exact(State::Running), Some((1, Accuracy::Exact)));
    assert_eq!(exact(State::Scheduled), Some((1, Accuracy::Exact)));
    assert_eq!(exact(State::Waiting), Some((1, Accuracy::Exact)));
    assert_eq!(o.by_state.unfinished_total(), 6);
    assert_eq!(
        exact(State::Completed),
        Some((1 + 7, Accuracy::Windowed)),
        "the stats' completions in the window, the pruned name's included: {o:?}"
    );
    assert_eq!(exact(State::Failed), Some((1, Accuracy::Windowed)));
    assert_eq!(exact(State::Canceled), Some((1, Accuracy::Windowed)));
    let simple = o.by_name["simple"].finished.unwrap();
    assert_eq!((simple.completed, simple.canceled), (1, 1));
    assert_eq!(o.by_name["always_fails"].finished.unwrap().failed, 1);
    assert_eq!(o.by_name["pruned"].finished.unwrap().completed, 7);
    assert_eq!(o.by_name["pruned"].unfinished_total(), 0);
    let first = o.finished_since.unwrap();
    assert!(first <= since && since - first < chrono::Duration::minutes(1));
    // Targets: exact unfinished counts, no finished ones (the stats have no target).
    assert_eq!(o.by_target["elsewhere"].unfinished.pending, 3);
    assert_eq!(o.by_target["elsewhere"].unfinished_total(), 6);
    assert_eq!(o.by_target["elsewhere"].get(State::Completed), None);
    assert!(
        !o.by_target.contains_key("test"),
        "no unfinished row: {o:?}"
    );
    assert_eq!(o.expired_leases, 1);
    assert_eq!(o.expired.iter().map(|c| c.id).collect::<Vec<_>>(), [lapsed]);
    assert!(o.oldest_pending_age.is_some());
    // The unfinished counts are the summary's, group by group.
    let s = store.summary(10).await.unwrap();
    let unfinished = |c: &orchestratum::store::StateCounts| {
        State::ALL.map(|st| if st.is_terminal() { 0 } else { c.get(st) })
    };
    for (name, counts) in &s.by_name {
        let mine = o
            .by_name
            .get(name)
            .map(|c| c.unfinished)
            .unwrap_or_default();
        assert_eq!(unfinished(&mine), unfinished(counts), "{name}");
    }
    for (target, counts) in &s.by_target {
        let mine = o
            .by_target
            .get(target)
            .map(|c| c.unfinished)
            .unwrap_or_default();
        assert_eq!(unfinished(&mine), unfinished(counts), "{target}");
    }
    // The row estimate is present; SQLite counts exactly.
    match db.backend {
        Backend::Sqlite => assert_eq!((o.rows.n, o.rows.accuracy), (9, Accuracy::Exact)),
        _ => assert!(
            o.rows.n >= 0 && o.rows.accuracy == Accuracy::Estimated,
            "{o:?}"
        ),
    }
    // Without a window: no finished counts at all, and no lapsed lease listed.
    let bare = client.admin().overview(0, None).await.unwrap();
    assert_eq!(bare.by_state.get(State::Completed), None);
    assert_eq!(bare.by_state.unfinished_total(), 6);
    assert!(bare.expired.is_empty() && bare.expired_leases == 1);

    let empty = TestDb::new(db.backend).await;
    let o = empty
        .client()
        .await
        .admin()
        .overview(10, Some(since))
        .await
        .unwrap();
    assert_eq!(o.by_state.unfinished_total(), 0);
    assert_eq!(o.by_state.get(State::Completed).map(|c| c.n), Some(0));
    assert!(o.by_name.is_empty() && o.by_target.is_empty());
    assert_eq!(o.oldest_pending_age, None);
    empty.cleanup().await;
}

pub async fn admin_follow_ups_are_listed_by_parent(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let parent = orch.push(ProcessOrderCommand { amount: 5 }).await.unwrap();
    wait_terminal(&orch, parent).await;
    let store = orch.store().clone();
    let children = crate::support::eventually("follow-up", Duration::from_secs(10), || async {
        let c = store.follow_ups(parent).await.unwrap();
        (!c.is_empty()).then_some(c)
    })
    .await;
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name, "send_confirmation_email");
    assert_eq!(children[0].parent_id, Some(parent));
    assert!(store.follow_ups(children[0].id).await.unwrap().is_empty());
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn admin_retry_only_failed_or_canceled(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let failed = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(0))
        .await
        .unwrap();
    let done = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, failed).await.state(), State::Failed);
    wait_terminal(&orch, done).await;
    let store = orch.store().clone();

    // A completed, a pending and an unknown command are left alone.
    assert!(store.retry(done, Some(3)).await.unwrap().is_none());
    assert_eq!(orch.get(done).await.unwrap().state(), State::Completed);
    assert!(
        store
            .retry(uuid::Uuid::now_v7(), None)
            .await
            .unwrap()
            .is_none()
    );
    let pending = orch
        .push_with(UnhandledCommand, Push::new().retries(1))
        .await
        .unwrap();
    assert!(store.retry(pending, Some(7)).await.unwrap().is_none());
    assert_eq!(orch.get(pending).await.unwrap().retries_left, 1);

    // A failed one runs again, with the retries asked for.
    let runs = probe.count_for("always_fails", failed);
    let retried = store
        .retry(failed, Some(1))
        .await
        .unwrap()
        .expect("retried");
    assert_eq!(retried.retries_left, 1);
    assert!(!retried.is_failed && retried.failed_at.is_none());
    let record = wait_terminal(&orch, failed).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(probe.count_for("always_fails", failed), runs + 2);

    // A canceled one too; without a count it keeps the retries it had (at least 0).
    let canceled = orch
        .push_with(
            SimpleCommand { n: 4 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    orch.cancel(canceled).await.unwrap();
    let retried = store.retry(canceled, None).await.unwrap().expect("retried");
    assert_eq!(retried.retries_left, 3);
    let record = wait_terminal(&orch, canceled).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("8"));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn admin_prune_deletes_old_finished_in_batches(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let ids = orch
        .push_many((0..3).map(|n| SimpleCommand { n }))
        .await
        .unwrap();
    for &id in &ids {
        wait_terminal(&orch, id).await;
    }
    let failed = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(0))
        .await
        .unwrap();
    wait_terminal(&orch, failed).await;
    orch.shutdown(SHUTDOWN).await.unwrap();
    let pending = db
        .client()
        .await
        .push_with(SimpleCommand { n: 9 }, Push::new().target("elsewhere"))
        .await
        .unwrap();
    let store = db.client().await.store().clone();
    let prune = |older_than, state, limit| PruneParams {
        older_than,
        state,
        limit,
    };

    assert_eq!(
        store
            .prune(prune(Duration::from_secs(3600), None, 10))
            .await
            .unwrap(),
        0
    );
    let zero = Duration::ZERO;
    assert_eq!(
        store
            .prune(prune(zero, Some(State::Canceled), 10))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .prune(prune(zero, Some(State::Completed), 2))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .prune(prune(zero, Some(State::Completed), 2))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.prune(prune(zero, None, 10)).await.unwrap(), 1);
    assert_eq!(store.prune(prune(zero, None, 10)).await.unwrap(), 0);
    let left = store.list(all(10)).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, pending);
}

pub async fn admin_migration_status_and_down(db: TestDb) {
    let client = db.builder().migrate(false).connect().await.unwrap();
    let store = client.store().clone();
    let status = store.migration_status().await.unwrap();
    assert_eq!((status.current(), status.latest), (0, 14));
    assert_eq!(status.pending.len(), 14);
    assert!(status.pending[0].sql.contains(&db.table()));
    assert!(!status.pending[0].sql.contains("{prefix}"));

    client.migrate().await.unwrap();
    let status = store.migration_status().await.unwrap();
    assert!(status.is_current() && status.pending.is_empty());
    assert_eq!(
        status.applied.iter().map(|m| m.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
    let id = client.push(SimpleCommand { n: 21 }).await.unwrap();

    let down = |to, force, dry_run| DowngradeParams { to, force, dry_run };
    // Below version 1 needs --force, and a refusal changes nothing.
    let err = store.migrate_down(down(0, false, false)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::DowngradeRefused {
                to: 0,
                current: 14,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(store.migration_status().await.unwrap().current(), 14);
    // A dry run plans without changing anything.
    let plan = store.migrate_down(down(1, false, true)).await.unwrap();
    assert_eq!(plan.reverted.len(), 13);
    assert!(plan.reverted.iter().any(|m| m.sql.contains("DROP COLUMN")));
    assert_eq!(store.migration_status().await.unwrap().current(), 14);
    // A live lease blocks dropping columns unless forced.
    lapse(&db, id).await;
    let live = match db.backend {
        Backend::Postgres => "run_expires_at = now() + interval '1 hour'",
        Backend::Sqlite => "run_expires_at = '2999-01-01 00:00:00.000+00:00'",
        #[cfg(feature = "mysql")]
        Backend::Mysql => "run_expires_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR",
    };
    db.exec(&format!(
        "UPDATE {} SET {live} WHERE id = {}",
        db.table(),
        db.id_literal(id)
    ))
    .await;
    let err = store.migrate_down(down(1, false, false)).await.unwrap_err();
    assert!(err.to_string().contains("live lease"), "{err}");
    db.exec(&format!(
        "UPDATE {} SET is_running = false WHERE id = {}",
        db.table(),
        db.id_literal(id)
    ))
    .await;

    // 8 → 1 keeps the reference columns and the row; migrating up again restores version 8.
    let report = store.migrate_down(down(1, false, false)).await.unwrap();
    assert_eq!((report.from, report.current), (14, 1));
    assert_eq!(store.migration_status().await.unwrap().current(), 1);
    assert_eq!(db.count_named("simple").await, 1);
    assert_eq!(
        client.migrate().await.unwrap().applied,
        vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
    assert_eq!(client.get(id).await.unwrap().name, "simple");

    // Forced below 1: the table is gone; nothing to undo after that.
    let report = store.migrate_down(down(0, true, false)).await.unwrap();
    assert_eq!(
        report
            .reverted
            .iter()
            .map(|m| m.version)
            .collect::<Vec<_>>(),
        vec![14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    );
    let status = store.migration_status().await.unwrap();
    assert_eq!(status.current(), 0);
    assert!(!status.unrecorded_reference_table);
    assert!(
        store
            .migrate_down(down(0, true, false))
            .await
            .unwrap()
            .reverted
            .is_empty()
    );
    assert_eq!(
        client.migrate().await.unwrap().applied,
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
}

pub async fn admin_push_by_name_takes_json_and_the_library_defaults(db: TestDb) {
    let client = db.client().await;
    let admin = client.admin();
    let err = admin
        .push("simple", "{not json", orchestratum::Push::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Serialize { what: "input", .. }),
        "{err:?}"
    );
    let id = admin
        .push(
            "simple",
            r#"{"n": 4}"#,
            orchestratum::Push::new().retries(1),
        )
        .await
        .unwrap();
    let record = client.get(id).await.unwrap();
    assert_eq!(record.name, "simple");
    assert_eq!(record.input.as_deref(), Some(r#"{"n": 4}"#));
    assert_eq!(record.target, "test", "the pushing instance's key");
    assert_eq!(record.timeout, std::time::Duration::from_secs(5));
    assert_eq!(record.retries_left, 1);
    assert_eq!(db.count_named("simple").await, 1);
}
