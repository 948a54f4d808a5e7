//! Schedules (issue 11, item 1): each due time pushes exactly one command whatever the number
//! of instances; misfire policies after downtime; pause, resume, trigger; registration picks
//! up changed definitions; bad definitions are typed errors; a schedule no running instance
//! registered does not fire.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orchestratum::admin::ListParams;
use orchestratum::{Client, Command, Error, Misfire, Orchestratum, Schedule, ScheduleInfo};
use serde::{Deserialize, Serialize};

use crate::support::{Backend, TestDb, eventually};

/// What the schedules push; no instance handles it, so its rows stay as pushed.
#[derive(Debug, Serialize, Deserialize)]
pub struct TickCommand {
    pub from: String,
}
impl Command for TickCommand {
    type Output = ();
}

const EVERY_SECOND: &str = "* * * * * *";
/// Due once a year: after a firing, the next due time is months away.
const YEARLY: &str = "0 0 1 1 *";

fn schedule(name: &str, expression: &str) -> Schedule {
    Schedule::cron(name, expression)
        .unwrap()
        .command(TickCommand { from: name.into() })
        .unwrap()
}

async fn start(db: &TestDb, schedules: Vec<Schedule>) -> Orchestratum {
    let mut builder = db.builder().polling_interval(Duration::from_millis(200));
    for s in schedules {
        builder = builder.schedule(s);
    }
    builder.start().await.expect("start with schedules")
}

async fn info(client: &Client, name: &str) -> ScheduleInfo {
    client
        .schedules()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("schedule {name} is stored"))
}

/// The `scheduled_at` of every pushed `tick` command whose input names `from`.
async fn ticks(client: &Client, from: &str) -> Vec<DateTime<Utc>> {
    let rows = client
        .admin()
        .list(ListParams {
            state: None,
            name: Some("tick"),
            target: None,
            since: None,
            limit: 100_000,
        })
        .await
        .unwrap();
    let mut at: Vec<_> = rows
        .into_iter()
        .filter(|r| r.input.as_deref() == Some(&format!(r#"{{"from":"{from}"}}"#)))
        .map(|r| r.scheduled_at)
        .collect();
    at.sort();
    at
}

/// Sets a stored schedule's next run to 2020-01-01, as if every instance had been down since.
async fn set_next_run_in_2020(db: &TestDb, name: &str) {
    let at = match db.backend {
        Backend::Postgres => "'2020-01-01T00:00:00Z'",
        Backend::Sqlite => "'2020-01-01 00:00:00.000+00:00'",
        #[cfg(feature = "mysql")]
        Backend::Mysql => "'2020-01-01 00:00:00'",
    };
    db.exec(&format!(
        "UPDATE {} SET next_run_at = {at} WHERE name = '{name}'",
        db.quoted("schedules")
    ))
    .await;
}

fn year_2020() -> DateTime<Utc> {
    "2020-01-01T00:00:00Z".parse().unwrap()
}

pub async fn three_instances_push_one_command_per_due_second(db: TestDb) {
    let instances = futures_util::future::join_all(
        (0..3).map(|_| start(&db, vec![schedule("every-second", EVERY_SECOND)])),
    )
    .await;
    // The window itself: twenty seconds of a one-second schedule.
    tokio::time::sleep(Duration::from_secs(20)).await;
    for orch in instances {
        orch.shutdown(Duration::from_secs(5)).await.unwrap();
    }
    let client = db.client().await;
    let at = ticks(&client, "every-second").await;
    let seconds: BTreeSet<i64> = at.iter().map(DateTime::timestamp).collect();
    assert_eq!(seconds.len(), at.len(), "a due second pushed twice: {at:?}");
    assert!(
        at.iter().all(|t| t.timestamp_subsec_nanos() == 0),
        "each command is due at its whole due second: {at:?}"
    );
    let (first, last) = (*seconds.first().unwrap(), *seconds.last().unwrap());
    assert_eq!(
        i64::try_from(seconds.len()).unwrap(),
        last - first + 1,
        "a due second between the first and the last pushed nothing: {at:?}"
    );
    // Twenty seconds, less the edges of the window (start-up, shutdown).
    assert!(
        (19..=21).contains(&seconds.len()),
        "{} commands in a 20 s window: {at:?}",
        seconds.len()
    );
    assert_eq!(
        info(&client, "every-second").await.last_run_at,
        at.last().copied()
    );
}

pub async fn misfire_coalesces_or_skips_after_downtime(db: TestDb) {
    let coalesce = || schedule("coalesced", YEARLY);
    let skip = || schedule("skipped", YEARLY).misfire(Misfire::Skip);
    // Registered, then every instance goes down; the due times since 2020 are missed.
    start(&db, vec![coalesce(), skip()])
        .await
        .shutdown(Duration::from_secs(5))
        .await
        .unwrap();
    set_next_run_in_2020(&db, "coalesced").await;
    set_next_run_in_2020(&db, "skipped").await;
    let orch = start(&db, vec![coalesce(), skip()]).await;
    let now = Utc::now();
    for name in ["coalesced", "skipped"] {
        eventually(
            "the missed schedule moves to the future",
            Duration::from_secs(5),
            || async { (info(&orch, name).await.next_run_at > now).then_some(()) },
        )
        .await;
    }
    let coalesced = info(&orch, "coalesced").await;
    assert_eq!(
        ticks(&orch, "coalesced").await,
        [year_2020()],
        "coalesce: one command for every missed time, due at the first"
    );
    assert_eq!(coalesced.last_run_at, Some(year_2020()));
    assert_eq!(coalesced.misfire, Misfire::Coalesce);
    let skipped = info(&orch, "skipped").await;
    assert!(ticks(&orch, "skipped").await.is_empty(), "skip pushes none");
    assert_eq!(skipped.last_run_at, None);
    assert_eq!(skipped.misfire, Misfire::Skip);
    // Both wait for the next occurrence: the next 1 January.
    for s in [&coalesced, &skipped] {
        assert_eq!(
            s.next_run_at.format("%m-%d %H:%M:%S").to_string(),
            "01-01 00:00:00"
        );
    }
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn paused_schedule_stops_firing_everywhere_and_resumes_without_a_burst(db: TestDb) {
    let a = start(&db, vec![schedule("pausable", EVERY_SECOND)]).await;
    let b = start(&db, vec![schedule("pausable", EVERY_SECOND)]).await;
    let client = db.client().await;
    eventually("a first firing", Duration::from_secs(5), || async {
        (!ticks(&client, "pausable").await.is_empty()).then_some(())
    })
    .await;
    client.pause_schedule("pausable").await.unwrap();
    // Paused again: no error, still paused.
    client.pause_schedule("pausable").await.unwrap();
    let paused_at = Utc::now();
    let before = ticks(&client, "pausable").await;
    assert!(info(&client, "pausable").await.paused);
    // A firing committed before the pause is counted above; none can commit after it. Two and
    // a half due seconds pass with both instances running.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        ticks(&client, "pausable").await,
        before,
        "nothing fires while paused"
    );
    let resumed_at = Utc::now();
    client.resume_schedule("pausable").await.unwrap();
    let resumed = info(&client, "pausable").await;
    assert!(!resumed.paused);
    assert!(
        resumed.next_run_at > paused_at
            && resumed.next_run_at <= Utc::now() + chrono::TimeDelta::seconds(2),
        "resume counts from now: {resumed:?}"
    );
    let after = eventually("a firing after resume", Duration::from_secs(5), || async {
        let now = ticks(&client, "pausable").await;
        (now.len() > before.len()).then_some(now)
    })
    .await;
    let new: Vec<_> = after[before.len()..].to_vec();
    assert!(
        new.iter()
            .all(|t| *t > resumed_at - chrono::TimeDelta::seconds(1)),
        "no burst for the paused seconds: {new:?} (resumed at {resumed_at})"
    );
    a.shutdown(Duration::from_secs(5)).await.unwrap();
    b.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn trigger_pushes_one_now_from_the_stored_row(db: TestDb) {
    start(&db, vec![schedule("triggered", YEARLY)])
        .await
        .shutdown(Duration::from_secs(5))
        .await
        .unwrap();
    // A client with no schedule in its code (as the CLI is) triggers it from the row.
    let client = db.client().await;
    let before = info(&client, "triggered").await;
    let id = client.trigger_schedule("triggered").await.unwrap();
    let record = client.get(id).await.unwrap();
    assert_eq!(record.name, "tick");
    assert_eq!(record.input.as_deref(), Some(r#"{"from":"triggered"}"#));
    assert_eq!(record.target, "test");
    assert_eq!(ticks(&client, "triggered").await.len(), 1);
    let after = info(&client, "triggered").await;
    assert_eq!(
        after.next_run_at, before.next_run_at,
        "trigger does not move the next run"
    );
    assert_eq!(after.last_run_at, None);
    for result in [
        client.pause_schedule("nope").await,
        client.resume_schedule("nope").await,
        client.trigger_schedule("nope").await.map(|_| ()),
    ] {
        assert!(
            matches!(&result, Err(Error::ScheduleNotFound(n)) if n == "nope"),
            "{result:?}"
        );
    }
}

pub async fn registration_picks_up_a_changed_definition_and_keeps_pause(db: TestDb) {
    let orch = start(&db, vec![schedule("changing", YEARLY)]).await;
    orch.pause_schedule("changing").await.unwrap();
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
    let client = db.client().await;
    let yearly = info(&client, "changing").await;
    assert!(yearly.paused && yearly.expression == YEARLY);
    // The same definition again keeps the stored next run.
    start(&db, vec![schedule("changing", YEARLY)])
        .await
        .shutdown(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        info(&client, "changing").await.next_run_at,
        yearly.next_run_at
    );
    // A new expression and zone: stored, next run recomputed, still paused.
    let changed = Schedule::cron("changing", "30 * * * * *")
        .unwrap()
        .time_zone("Asia/Kolkata")
        .unwrap()
        .command(TickCommand {
            from: "changing".into(),
        })
        .unwrap();
    let now = Utc::now();
    start(&db, vec![changed])
        .await
        .shutdown(Duration::from_secs(5))
        .await
        .unwrap();
    let stored = info(&client, "changing").await;
    assert_eq!(stored.expression, "30 * * * * *");
    assert_eq!(stored.time_zone, "Asia/Kolkata");
    assert!(stored.paused, "registration keeps the pause");
    assert!(
        stored.next_run_at > now && stored.next_run_at <= now + chrono::TimeDelta::seconds(61),
        "next run recomputed from the new expression: {stored:?}"
    );
    assert_eq!(stored.next_run_at.format("%S").to_string(), "30");
    assert!(stored.registered_at >= yearly.registered_at);
}

pub async fn bad_schedules_are_typed_errors(db: TestDb) {
    for expression in ["not a cron", "0 3 * *", "99 * * * *", "* * * * * * * *"] {
        let e = Schedule::cron("bad", expression).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidSchedule { name, .. } if name == "bad"),
            "{expression}: {e}"
        );
    }
    let e = Schedule::cron("bad", "0 3 * * *")
        .unwrap()
        .time_zone("Europe/Atlantis")
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown time zone `Europe/Atlantis`"),
        "{e}"
    );
    let e = Schedule::every("bad", Duration::ZERO).unwrap_err();
    assert!(matches!(e, Error::InvalidSchedule { .. }), "{e}");
    // No command, or the same name twice: refused when the instance is built.
    let no_command = Schedule::cron("bare", "0 3 * * *").unwrap();
    let e = db
        .builder()
        .schedule(no_command)
        .start()
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("has no command"), "{e}");
    let e = db
        .builder()
        .schedule(schedule("twice", YEARLY))
        .schedule(schedule("twice", YEARLY))
        .start()
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("registered twice"), "{e}");
}

pub async fn schedule_no_running_instance_registered_does_not_fire(db: TestDb) {
    // Registered once, then gone from the code; due since 2020.
    start(&db, vec![schedule("removed", YEARLY)])
        .await
        .shutdown(Duration::from_secs(5))
        .await
        .unwrap();
    set_next_run_in_2020(&db, "removed").await;
    // An instance whose code has another schedule: its scheduler runs, and fires that one.
    let orch = start(&db, vec![schedule("kept", EVERY_SECOND)]).await;
    eventually(
        "the kept schedule fires twice",
        Duration::from_secs(5),
        || async { (ticks(&orch, "kept").await.len() >= 2).then_some(()) },
    )
    .await;
    assert!(ticks(&orch, "removed").await.is_empty());
    let removed = info(&orch, "removed").await;
    assert_eq!(removed.next_run_at, year_2020(), "nobody moved it");
    assert!(removed.registered_at < info(&orch, "kept").await.registered_at);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn interval_schedule_fires_at_its_interval(db: TestDb) {
    let every = Schedule::every("interval", Duration::from_millis(500))
        .unwrap()
        .command(TickCommand {
            from: "interval".into(),
        })
        .unwrap();
    let orch = start(&db, vec![every]).await;
    let stored = info(&orch, "interval").await;
    assert_eq!(stored.expression, "@every 500ms");
    let at = eventually("three firings", Duration::from_secs(5), || async {
        let at = ticks(&orch, "interval").await;
        (at.len() >= 3).then_some(at)
    })
    .await;
    for pair in at.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            chrono::TimeDelta::milliseconds(500),
            "due times one interval apart: {at:?}"
        );
    }
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// A firing keeps its push's options (here a priority) and is unique per (schedule, due time)
/// in every state: even if the compare-and-swap were bypassed (the row set back to a due time
/// that already fired), that due time pushes nothing more.
pub async fn firing_keeps_its_push_options_and_is_unique_per_due_time(db: TestDb) {
    let prioritized = || {
        Schedule::cron("prioritized", YEARLY)
            .unwrap()
            .command_with(
                TickCommand {
                    from: "prioritized".into(),
                },
                orchestratum::Push::new().priority(7),
            )
            .unwrap()
    };
    start(&db, vec![prioritized()])
        .await
        .shutdown(Duration::from_secs(5))
        .await
        .unwrap();
    set_next_run_in_2020(&db, "prioritized").await;
    let orch = start(&db, vec![prioritized()]).await;
    let now = Utc::now();
    let fired = || async { (info(&orch, "prioritized").await.next_run_at > now).then_some(()) };
    eventually("the 2020 due time fires", Duration::from_secs(5), fired).await;
    assert_eq!(ticks(&orch, "prioritized").await, [year_2020()]);
    let pushed = orch
        .admin()
        .list(ListParams {
            state: None,
            name: Some("tick"),
            target: None,
            since: None,
            limit: 10,
        })
        .await
        .unwrap()
        .pop()
        .expect("one tick");
    assert_eq!(pushed.priority, 7);
    assert_eq!(
        pushed.unique_key.as_deref(),
        Some("orchestratum.schedule:prioritized@1577836800000000")
    );
    assert_eq!(pushed.unique_over.len(), 3, "{:?}", pushed.unique_over);
    // As if a second instance had fired the same due time again.
    set_next_run_in_2020(&db, "prioritized").await;
    let later = Utc::now();
    let moved = || async { (info(&orch, "prioritized").await.next_run_at > later).then_some(()) };
    eventually(
        "the replayed due time is passed",
        Duration::from_secs(5),
        moved,
    )
    .await;
    assert_eq!(
        ticks(&orch, "prioritized").await,
        [year_2020()],
        "a due time that already fired pushes nothing more"
    );
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}
