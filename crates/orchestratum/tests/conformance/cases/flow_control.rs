//! Pausing and concurrency limits by command name (issue 11, items 4 and 5).

use std::time::Duration;

use orchestratum::{Error, Orchestratum};

use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb};

/// Three instances with a fleet limit of 2 never run more than 2 at once, reach 2, and finish.
pub async fn fleet_limit_holds_across_three_instances(db: TestDb) {
    let probe = Probe::new();
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(
            db.builder()
                .polling_interval(Duration::from_millis(100))
                .max_command_pull(10)
                .fleet_limit_of::<SleepCommand>(2)
                .handler(SleepHandler(probe.clone()))
                .start()
                .await
                .unwrap(),
        );
    }
    let client = db.client().await;
    let n = 12;
    let commands = (0..n)
        .map(|_| SleepCommand { millis: 150 })
        .collect::<Vec<_>>();
    client.push_many(commands).await.unwrap();
    probe.wait("sleep_done", n, Duration::from_secs(60)).await;
    assert_eq!(probe.count("sleep_started"), n);
    let max = probe.max_concurrent("sleep_started", "sleep_done");
    assert_eq!(
        max, 2,
        "fleet limit 2: at most 2 running at once, and reached"
    );
    let controls = client.admin().controls().await.unwrap();
    let sleep = controls.iter().find(|c| c.name == "sleep").expect("row");
    assert_eq!(
        sleep.fleet_limit,
        Some(2),
        "recorded at start: {controls:?}"
    );
    assert!(!sleep.paused);
    for orch in instances {
        orch.shutdown(Duration::from_secs(5)).await.unwrap();
    }
}

/// A local limit caps the name in this instance while the other names take the other slots,
/// even when the capped name's rows are the oldest due.
pub async fn local_limit_caps_a_name_without_blocking_others(db: TestDb) {
    let probe = Probe::new();
    let client = db.client().await;
    // Pushed before the worker starts: the first claim sees 8 capped rows ahead of the others.
    let sleeps = (0..8)
        .map(|_| SleepCommand { millis: 400 })
        .collect::<Vec<_>>();
    client.push_many(sleeps).await.unwrap();
    let simples = (0..6).map(|n| SimpleCommand { n }).collect::<Vec<_>>();
    client.push_many(simples).await.unwrap();
    let orch = db
        .builder()
        .polling_interval(Duration::from_millis(100))
        .max_command_pull(4)
        .local_limit("sleep", 2)
        .handler(SleepHandler(probe.clone()))
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    probe.wait("simple", 6, Duration::from_secs(10)).await;
    // 8 sleeps at 2 at a time take four rounds of 400 ms: the simple commands did not wait
    // for them.
    assert!(
        probe.count("sleep_done") < 8,
        "the other names ran while the capped one was at its limit"
    );
    probe.wait("sleep_done", 8, Duration::from_secs(20)).await;
    assert_eq!(probe.max_concurrent("sleep_started", "sleep_done"), 2);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// A paused name is claimed by no instance; a run in flight finishes; resume runs the rest
/// (at once on PostgreSQL, through NOTIFY); the summary shows what is paused.
pub async fn paused_name_is_not_claimed_until_resumed(db: TestDb) {
    let probe = Probe::new();
    // On PostgreSQL a long polling interval proves the resume wakes the workers by itself.
    let polling = match db.backend {
        Backend::Postgres => Duration::from_secs(30),
        _ => Duration::from_millis(100),
    };
    let mut instances = Vec::new();
    for _ in 0..2 {
        instances.push(
            db.builder()
                .polling_interval(polling)
                .handler(SleepHandler(probe.clone()))
                .handler(SimpleHandler(probe.clone()))
                .start()
                .await
                .unwrap(),
        );
    }
    // An operator's client: its pause and resume wake no local worker.
    let operator = db.client().await;
    let first = instances[0]
        .push(SleepCommand { millis: 600 })
        .await
        .unwrap();
    probe
        .wait("sleep_started", 1, Duration::from_secs(10))
        .await;
    let control = operator.pause("sleep").await.unwrap();
    assert!(control.paused && control.paused_at.is_some(), "{control:?}");
    let again = operator.pause("sleep").await.unwrap();
    assert_eq!(
        again.paused_at, control.paused_at,
        "pausing again keeps the first time"
    );

    let ids = instances[1]
        .push_many(
            (0..3)
                .map(|_| SleepCommand { millis: 10 })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    // Other names still run meanwhile; pushing them wakes every worker, which claims again.
    let simple = instances[0].push(SimpleCommand { n: 1 }).await.unwrap();
    let simple = crate::support::wait_terminal(&operator, simple).await;
    assert!(simple.is_completed);
    // The run in flight finishes.
    let done = crate::support::wait_terminal(&operator, first).await;
    assert!(done.is_completed, "{done:?}");
    // Several polling intervals (or wake-ups on PostgreSQL) pass: nothing else starts.
    let quiet_until = tokio::time::Instant::now() + Duration::from_millis(600);
    while tokio::time::Instant::now() < quiet_until {
        assert_eq!(probe.count("sleep_started"), 1, "a paused name was claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for id in &ids {
        let r = operator.get(*id).await.unwrap();
        assert!(!r.is_running && r.attempt == 0, "{r:?}");
    }
    let summary = operator.admin().summary(0).await.unwrap();
    let paused: Vec<_> = summary
        .controls
        .iter()
        .filter(|c| c.paused)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(paused, ["sleep"]);

    let resumed_at = tokio::time::Instant::now();
    let control = operator.resume("sleep").await.unwrap();
    assert!(
        !control.paused && control.paused_at.is_none(),
        "{control:?}"
    );
    probe.wait("sleep_done", 4, Duration::from_secs(10)).await;
    if db.backend == Backend::Postgres {
        assert!(
            resumed_at.elapsed() < Duration::from_secs(5),
            "resume woke the workers at once, not at the 30 s poll ({:?})",
            resumed_at.elapsed()
        );
    }
    for orch in instances {
        orch.shutdown(Duration::from_secs(5)).await.unwrap();
    }
}

/// Pausing a name no command has yet creates its row; bad names and limits are refused.
pub async fn flow_controls_accept_new_names_and_refuse_bad_values(db: TestDb) {
    let client = db.client().await;
    let c = client.pause("not_pushed_yet").await.unwrap();
    assert!(c.paused && c.fleet_limit.is_none());
    let all = client.admin().controls().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "not_pushed_yet");
    // A name is exact: another case is another name.
    client.resume("NOT_PUSHED_YET").await.unwrap();
    let all = client.admin().controls().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|c| (c.name.as_str(), c.paused))
            .collect::<Vec<_>>(),
        [("NOT_PUSHED_YET", false), ("not_pushed_yet", true)]
    );
    for bad in [String::new(), "x".repeat(256)] {
        let err = client.pause(&bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    }
    let zero_fleet = db.builder().fleet_limit("sleep", 0).connect().await;
    assert!(
        matches!(
            zero_fleet,
            Err(Error::InvalidConfig {
                option: "fleet_limit",
                ..
            })
        ),
        "{:?}",
        zero_fleet.err()
    );
    let zero_local = Orchestratum::builder()
        .database(&db.url)
        .table_prefix(&db.prefix)
        .local_limit_of::<SleepCommand>(0)
        .connect()
        .await;
    assert!(
        matches!(
            zero_local,
            Err(Error::InvalidConfig {
                option: "local_limit",
                ..
            })
        ),
        "{:?}",
        zero_local.err()
    );
}
