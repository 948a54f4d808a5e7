//! Per-minute stats (decision 0018): the outcomes a worker writes are counted in memory and
//! added to `{prefix}stats` by a periodic flush and at shutdown; they outlive pruned commands;
//! two instances add to the same buckets; old buckets go after the retention; a failed flush
//! keeps its counts and holds no outcome back.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use orchestratum::admin::PruneParams;
use orchestratum::store::StatsDelta;
use orchestratum::{Client, Error, Push, State, Stats, StatsOutcome};

use crate::support::commands::*;
use crate::support::{Probe, TestDb, eventually, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);
/// Longer than any of these cases: a worker with it flushes only at shutdown.
const NEVER: Duration = Duration::from_secs(60);

/// Counts by outcome of `name` over the last hour (and the summed run time of completions).
async fn totals(client: &Client, name: &str) -> (HashMap<StatsOutcome, u64>, u64) {
    let since = Utc::now() - chrono::Duration::hours(1);
    let buckets = client.stats(since, Some(name)).await.expect("stats");
    let mut counts = HashMap::new();
    let mut run_us = 0;
    for b in buckets {
        assert_eq!(b.name, name);
        *counts.entry(b.outcome).or_insert(0) += b.count;
        if b.outcome == StatsOutcome::Completed {
            run_us += b.run_us;
        }
    }
    (counts, run_us)
}

fn expect(pairs: &[(StatsOutcome, u64)]) -> HashMap<StatsOutcome, u64> {
    pairs.iter().copied().collect()
}

fn minute_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs / 60).unwrap()
}

pub async fn stats_count_a_drain_by_outcome(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .handler(AlwaysFailsHandler(probe.clone()))
        .stats(Stats::new().flush_every(Duration::from_millis(100)))
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(orch.push(SimpleCommand { n }).await.unwrap());
    }
    // Three runs each: two retried, the last failed.
    for _ in 0..3 {
        let push = Push::new().retries(2);
        ids.push(orch.push_with(AlwaysFailsCommand, push).await.unwrap());
    }
    let later = Push::new().delay(Duration::from_secs(3600));
    let canceled = orch
        .push_with(SimpleCommand { n: 99 }, later)
        .await
        .unwrap();
    orch.cancel(canceled).await.unwrap();
    for &id in &ids {
        assert!(wait_terminal(&orch, id).await.state().is_terminal());
    }
    let simple = expect(&[(StatsOutcome::Completed, 20), (StatsOutcome::Canceled, 1)]);
    let failing = expect(&[(StatsOutcome::Retried, 6), (StatsOutcome::Failed, 3)]);
    // The periodic flush, not the shutdown's, brings them in.
    eventually("the flushed counts", Duration::from_secs(10), || async {
        let got = (
            totals(&orch, "simple").await.0,
            totals(&orch, "always_fails").await.0,
        );
        (got == (simple.clone(), failing.clone())).then_some(())
    })
    .await;
    let (_, run_us) = totals(&orch, "simple").await;
    assert!(run_us > 0, "the completions' run time is summed");
    orch.shutdown(SHUTDOWN).await.unwrap();
    // Nothing counted twice by the last flush.
    let client = db.client().await;
    assert_eq!(totals(&client, "simple").await.0, simple);
    assert_eq!(totals(&client, "always_fails").await.0, failing);
}

pub async fn stats_are_flushed_at_shutdown(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .stats(Stats::new().flush_every(NEVER))
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(orch.push(SimpleCommand { n }).await.unwrap());
    }
    for &id in &ids {
        assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    }
    assert_eq!(
        totals(&orch, "simple").await.0,
        expect(&[]),
        "not flushed yet"
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
    let client = db.client().await;
    assert_eq!(
        totals(&client, "simple").await.0,
        expect(&[(StatsOutcome::Completed, 5)])
    );
}

pub async fn two_instances_add_to_the_same_buckets(db: TestDb) {
    // The upsert adds: the same key written twice holds the sum.
    let client = db.client().await;
    let minute = minute_now() - 5;
    let delta = |count| StatsDelta {
        minute,
        name: "shared".into(),
        outcome: "completed",
        count,
        run_us: 10,
    };
    client.store().add_stats(&[delta(2)]).await.unwrap();
    client.store().add_stats(&[delta(3)]).await.unwrap();
    let buckets = client.store().stats(minute, Some("shared")).await.unwrap();
    assert_eq!(buckets.len(), 1, "{buckets:?}");
    assert_eq!((buckets[0].count, buckets[0].run_us), (5, 20));

    // Two workers counting the same name, each flushing its own counts at shutdown.
    let probe = Probe::new();
    let start = |key: &'static str| {
        db.builder()
            .instance_key(key)
            .handler(SimpleHandler(probe.clone()))
            .stats(Stats::new().flush_every(NEVER))
            .start()
    };
    let (a, b) = (start("a").await.unwrap(), start("b").await.unwrap());
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            a.push_with(SimpleCommand { n }, Push::new().target("a"))
                .await
                .unwrap(),
        );
    }
    for n in 0..6 {
        ids.push(
            b.push_with(SimpleCommand { n }, Push::new().target("b"))
                .await
                .unwrap(),
        );
    }
    for &id in &ids {
        assert_eq!(wait_terminal(&client, id).await.state(), State::Completed);
    }
    let (ra, rb) = tokio::join!(a.shutdown(SHUTDOWN), b.shutdown(SHUTDOWN));
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        totals(&client, "simple").await.0,
        expect(&[(StatsOutcome::Completed, 10)])
    );
}

pub async fn pruning_commands_keeps_their_stats(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .stats(Stats::new().flush_every(NEVER))
        .start()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(orch.push(SimpleCommand { n }).await.unwrap());
    }
    for &id in &ids {
        assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    }
    orch.flush_stats().await.unwrap();
    let pruned = orch
        .admin()
        .prune(PruneParams {
            older_than: Duration::ZERO,
            state: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(pruned, 3);
    assert_eq!(db.count_named("simple").await, 0);
    assert_eq!(
        totals(&orch, "simple").await.0,
        expect(&[(StatsOutcome::Completed, 3)])
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn old_stats_buckets_are_deleted_after_the_retention(db: TestDb) {
    let client = db.client().await;
    let now = minute_now();
    let bucket = |minute, name: &str| StatsDelta {
        minute,
        name: name.into(),
        outcome: "failed",
        count: 1,
        run_us: 0,
    };
    let two_days_ago = now - 2 * 24 * 60;
    let store = client.store();
    store
        .add_stats(&[bucket(two_days_ago, "old"), bucket(now - 10, "recent")])
        .await
        .unwrap();
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .stats(
            Stats::new()
                .keep(Duration::from_secs(24 * 3600))
                .prune_every(Duration::from_millis(100)),
        )
        .start()
        .await
        .unwrap();
    let names = || async {
        let rows = store.stats(0, None).await.unwrap();
        rows.into_iter().map(|b| b.name).collect::<Vec<_>>()
    };
    eventually(
        "the old bucket deleted",
        Duration::from_secs(10),
        || async { (names().await == ["recent"]).then_some(()) },
    )
    .await;
    orch.shutdown(SHUTDOWN).await.unwrap();
    // An operator can delete them too.
    assert_eq!(
        client
            .admin()
            .prune_stats(Duration::from_secs(60))
            .await
            .unwrap(),
        1
    );
    assert!(names().await.is_empty());
}

pub async fn failed_stats_flush_keeps_its_counts_and_holds_no_outcome(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .stats(Stats::new().flush_every(NEVER))
        .start()
        .await
        .unwrap();
    let first = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, first).await.state(), State::Completed);
    let (table, away) = (db.quoted("stats"), db.quoted("stats_away"));
    db.exec(&format!("ALTER TABLE {table} RENAME TO {away}"))
        .await;
    assert!(orch.flush_stats().await.is_err(), "no table to add to");
    // Outcomes go on being written meanwhile.
    let second = orch.push(SimpleCommand { n: 2 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, second).await.state(), State::Completed);
    db.exec(&format!("ALTER TABLE {away} RENAME TO {table}"))
        .await;
    assert!(orch.flush_stats().await.unwrap() > 0);
    assert_eq!(
        totals(&orch, "simple").await.0,
        expect(&[(StatsOutcome::Completed, 2)])
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn stats_settings_and_names_are_checked(db: TestDb) {
    for bad in [
        Stats::new().flush_every(Duration::ZERO),
        Stats::new().flush_every(Duration::from_secs(61)),
        Stats::new().keep(Duration::from_secs(1)),
        Stats::new().prune_every(Duration::ZERO),
    ] {
        let refused = db.builder().stats(bad.clone()).connect().await;
        assert!(
            matches!(
                refused,
                Err(Error::InvalidConfig {
                    option: "stats",
                    ..
                })
            ),
            "{bad:?} accepted"
        );
    }
    let client = db.client().await;
    assert!(matches!(
        client.stats(Utc::now(), Some("")).await,
        Err(Error::InvalidConfig { .. })
    ));
    // Off: nothing counted, nothing written.
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .stats(Stats::off())
        .start()
        .await
        .unwrap();
    let id = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
    assert_eq!(totals(&client, "simple").await.0, expect(&[]));
}
