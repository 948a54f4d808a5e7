//! The built `orchestratum` binary against real databases: every subcommand, and every kind of
//! bad input (exit code, one line on stderr, nothing changed). Each test runs on PostgreSQL
//! (its own table prefix), on SQLite (its own file), and, with the `mysql` feature, on
//! MySQL/MariaDB (its own table prefix).

mod support;

use orchestratum::workflow::{Batch, IfParentFails, Step, Workflow};
use orchestratum::{Client, Orchestratum};
use serde::{Deserialize, Serialize};
use support::{Backend, TestDb, orchestratum};

/// Expands each test into one `#[tokio::test]` per backend.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::TestDb::new(crate::Backend::Postgres).await;
                    crate::$case(db.clone()).await;
                    db.cleanup().await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::$case(crate::TestDb::new(crate::Backend::Sqlite).await).await;
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::TestDb::new(crate::Backend::Mysql).await;
                    crate::$case(db.clone()).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_every_backend!(
    migrate_status_dry_run_apply,
    migrate_down_is_refused_below_one_without_force,
    push_show_list_status,
    cancel_leaves_a_request,
    retry_failed_and_canceled_only,
    prune_removes_old_finished_rows_in_batches,
    bad_input_changes_nothing,
    unmigrated_schema_is_refused,
    workers_and_unhandled_commands,
    push_unique_and_priority,
    pause_resume_and_status,
    schedules_list_pause_resume_trigger,
    workflow_graph_show_and_cancel,
    batch_members_are_summarized,
    list_pages_delete_and_bulk_actions,
    list_text_says_where_its_scan_stopped,
    serve_dashboard_with_auth,
    throughput_sums_the_stats_buckets,
);

/// A pushed command's id.
fn push(db: &TestDb, args: &[&str]) -> String {
    let mut all = vec!["push"];
    all.extend_from_slice(args);
    db.json(&all)["id"].as_str().expect("id").to_owned()
}

async fn migrate_status_dry_run_apply(db: TestDb) {
    let before = db.snapshot().await;
    let out = db.run(&["migrate", "status"]);
    let text = out.ok();
    assert!(text.contains("1  pending"), "{text}");
    assert!(text.contains("schema version 0 of 14"), "{text}");

    let out = db.run(&["migrate", "--dry-run"]);
    let sql = out.ok();
    assert!(sql.contains("-- version 1: reference schema"), "{sql}");
    assert!(
        sql.contains(&format!("CREATE TABLE {}", db.table())),
        "{sql}"
    );
    assert!(sql.contains("-- version 2:"), "{sql}");
    assert!(sql.contains("-- version 3:"), "{sql}");
    assert!(!sql.contains("{prefix}"), "{sql}");
    assert_eq!(
        db.snapshot().await,
        before,
        "a dry run changed the database"
    );

    let out = db.run(&["migrate"]);
    assert!(
        out.ok()
            .contains("applied version(s) 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14"),
        "{}",
        out.stdout
    );
    let again = db.json(&["migrate"]);
    assert_eq!(again["applied"], serde_json::json!([]));
    assert_eq!(again["current"], 14);
    let status = db.json(&["migrate", "status"]);
    assert_eq!(status["current"], 14);
    assert_eq!(status["applied"].as_array().unwrap().len(), 14);
    assert_eq!(status["pending"], serde_json::json!([]));
    assert!(
        db.run(&["migrate", "--dry-run"])
            .ok()
            .contains("nothing to apply")
    );
}

async fn migrate_down_is_refused_below_one_without_force(db: TestDb) {
    db.run(&["migrate"]).ok();
    let id = push(&db, &["simple", "--input", "{\"n\":1}"]);
    let before = db.snapshot().await;

    let out = db.run(&["migrate", "down", "--to", "0"]);
    out.fails(5, "--force");
    assert!(
        out.stderr.contains("drops the commands table"),
        "{}",
        out.stderr
    );
    assert_eq!(db.snapshot().await, before);
    db.run(&["migrate", "down", "--to", "-1"]).fails(2, "-1");
    assert_eq!(db.snapshot().await, before);

    let plan = db.run(&["migrate", "down", "--to", "1", "--dry-run"]);
    assert!(plan.ok().contains("DROP COLUMN"), "{}", plan.stdout);
    assert_eq!(db.snapshot().await, before);

    let out = db.run(&["migrate", "down", "--to", "1"]);
    assert!(
        out.ok().contains(
            "undid version(s) 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2; schema is at version 1"
        ),
        "{}",
        out.stdout
    );
    // The reference columns and the row are still there; the data commands want version 7.
    assert_eq!(db.text("SELECT name FROM {t}").await, "simple");
    db.run(&["show", &id]).fails(5, "orchestratum migrate");
    db.run(&["migrate"]).ok();
    assert_eq!(db.json(&["show", &id])["name"], "simple");

    let out = db.json(&["migrate", "down", "--to", "0", "--force"]);
    assert_eq!(out["current"], 0);
    assert_eq!(db.json(&["migrate", "status"])["current"], 0);
}

async fn push_show_list_status(db: TestDb) {
    db.run(&["migrate"]).ok();
    let report = push(
        &db,
        &[
            "generate_report",
            "--input",
            "{\"title\": \"Q3\"}",
            "--timeout",
            "10m",
            "--retries",
            "5",
        ],
    );
    let mail = push(
        &db,
        &[
            "send_email",
            "--input",
            "{\"to\":\"a@example.com\"}",
            "--target",
            "mail",
            "--delay",
            "1h",
        ],
    );

    // show: every column, input as pretty JSON.
    let out = db.run(&["show", &report]);
    let text = out.ok();
    for needle in [
        &format!("id:                  {report}")[..],
        "name:                generate_report",
        "target:              default",
        "state:               pending",
        "timeout:             10m",
        "retries_left:        5",
        "is_completed:        false",
        "cancel_requested_at: -",
        "input:\n  {\n    \"title\": \"Q3\"\n  }",
        "parent:     -",
        "follow-ups: -",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    let shown = db.json(&["show", &mail]);
    assert_eq!(shown["state"], "scheduled");
    assert_eq!(shown["target"], "mail");
    assert_eq!(shown["input"]["to"], "a@example.com");
    assert_eq!(shown["timeout_seconds"], 5.0);
    assert_eq!(shown["retries_left"], 3);

    // A follow-up row (as a worker writes it) shows its parent, and the parent its follow-up.
    let child = uuid::Uuid::now_v7().to_string();
    let insert = match db.backend {
        Backend::Postgres => format!(
            "INSERT INTO {{t}} (id, target, name, input, scheduled_at, timeout, is_running, \
             is_completed, is_canceled, retries_left, is_failed, parent_id) VALUES ('{child}', \
             'default', 'send_email', '{{}}', now(), interval '5 seconds', false, false, false, 3, \
             false, '{report}')"
        ),
        Backend::Sqlite => format!(
            "INSERT INTO {{t}} (id, target, name, input, scheduled_at, timeout, is_running, \
             is_completed, is_canceled, retries_left, is_failed, parent_id) VALUES ('{child}', \
             'default', 'send_email', '{{}}', strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), \
             '00:00:05', 0, 0, 0, 3, 0, '{report}')"
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => format!(
            "INSERT INTO {{t}} (id, target, name, input, scheduled_at, timeout, is_running, \
             is_completed, is_canceled, retries_left, is_failed, parent_id) VALUES ('{child}', \
             'default', 'send_email', '{{}}', UTC_TIMESTAMP(6), '00:00:05', FALSE, FALSE, FALSE, \
             3, FALSE, '{report}')"
        ),
    };
    db.exec(&insert).await;
    let parent = db.json(&["show", &report]);
    assert_eq!(parent["follow_ups"][0]["id"], child.as_str());
    let shown = db.run(&["show", &child]);
    assert!(
        shown
            .ok()
            .contains(&format!("parent:     {report} generate_report (pending)")),
        "{}",
        shown.stdout
    );

    // show lists the attempts (a failed run, as a worker records it).
    let now = match db.backend {
        Backend::Postgres => "now()",
        Backend::Sqlite => "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
        #[cfg(feature = "mysql")]
        Backend::Mysql => "UTC_TIMESTAMP(6)",
    };
    db.exec(&format!(
        "INSERT INTO {} (command_id, attempt, started_at, ended_at, outcome, error) \
         VALUES ('{report}', 1, {now}, {now}, 'timed_out', 'took too long')",
        db.quoted("attempts")
    ))
    .await;
    let shown = db.run(&["show", &report]);
    let text = shown.ok();
    assert!(text.contains("attempts:\n  ATTEMPT  OUTCOME"), "{text}");
    assert!(
        text.contains("timed_out") && text.contains("took too long"),
        "{text}"
    );
    let shown = db.json(&["show", &report]);
    assert_eq!(shown["attempts"][0]["outcome"], "timed_out");
    assert_eq!(shown["attempts"][0]["attempt"], 1);

    // list: newest scheduled_at first, with filters.
    let all = db.json(&["list"]);
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], mail, "the delayed command is due last: {ids:?}");
    assert_eq!(ids.len(), 3);
    let pending = db.json(&["list", "--state", "pending"]);
    assert_eq!(pending.as_array().unwrap().len(), 2);
    let named = db.json(&["list", "--name", "send_email", "--target", "mail"]);
    assert_eq!(named[0]["id"], mail.as_str());
    assert_eq!(
        db.json(&["list", "--limit", "1"]).as_array().unwrap().len(),
        1
    );
    assert_eq!(
        db.json(&["list", "--since", "10m"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        db.json(&["list", "--since", "2999-01-01T00:00:00Z"]),
        serde_json::json!([])
    );
    let table = db.run(&["list", "--state", "scheduled"]);
    let text = table.ok();
    assert!(text.starts_with("ID"), "{text}");
    assert!(text.contains(&mail) && !text.contains(&report), "{text}");
    assert!(
        db.run(&["list", "--name", "nothing"])
            .ok()
            .contains("no commands match")
    );

    // status: counts by state, name and target.
    let status = db.json(&["status"]);
    assert_eq!(status["by_state"]["pending"], 2);
    assert_eq!(status["by_state"]["scheduled"], 1);
    assert_eq!(status["by_state"]["total"], 3);
    assert_eq!(status["by_name"]["send_email"]["total"], 2);
    assert_eq!(status["by_target"]["mail"]["scheduled"], 1);
    assert_eq!(status["expired_leases"], 0);
    assert!(status["oldest_pending_age_seconds"].as_f64().unwrap() >= 0.0);
    let text = db.run(&["status"]);
    let text = text.ok();
    assert!(text.contains("pending        2"), "{text}");
    // One column per state, waiting included, under headers of as many columns.
    let by_name = "\
NAME             PENDING  SCHEDULED  WAITING  RUNNING  COMPLETED  FAILED  CANCELED
generate_report        1          0        0        0          0       0         0
send_email             1          1        0        0          0       0         0";
    assert!(text.contains(by_name), "{by_name}\nnot in:\n{text}");
    assert!(text.contains("expired leases: 0"), "{text}");
}

async fn cancel_leaves_a_request(db: TestDb) {
    db.run(&["migrate"]).ok();
    let id = push(&db, &["generate_report", "--input", "{}"]);
    let out = db.run(&["cancel", &id]);
    assert!(out.ok().contains("cancel requested"), "{}", out.stdout);
    let shown = db.json(&["show", &id]);
    assert!(shown["cancel_requested_at"].is_string(), "{shown}");
    assert_eq!(
        shown["state"], "pending",
        "a worker for the command finishes the cancel"
    );
    assert_eq!(db.json(&["cancel", &id])["result"], "requested");

    let done = push(&db, &["generate_report", "--input", "{}"]);
    db.finish(&done, "completed").await;
    let before = db.snapshot().await;
    db.run(&["cancel", &done]).fails(5, "already completed");
    let gone = uuid::Uuid::now_v7().to_string();
    db.run(&["cancel", &gone]).fails(3, "not found");
    assert_eq!(db.snapshot().await, before);
    let canceled = push(&db, &["generate_report", "--input", "{}"]);
    db.finish(&canceled, "canceled").await;
    assert_eq!(
        db.json(&["cancel", &canceled])["result"],
        "already_canceled"
    );
}

async fn retry_failed_and_canceled_only(db: TestDb) {
    db.run(&["migrate"]).ok();
    let failed = push(&db, &["generate_report", "--input", "{}"]);
    db.finish(&failed, "failed").await;
    // A failed-for-good row stores -1: `show` says what it means, its JSON keeps the column.
    let shown = db.run(&["show", &failed]);
    assert!(
        shown
            .ok()
            .contains("retries_left:        0 (no retries left)\n"),
        "{}",
        shown.ok()
    );
    assert_eq!(db.json(&["show", &failed])["retries_left"], -1);
    let listed = db.run(&["list"]);
    let row = listed
        .ok()
        .lines()
        .find(|l| l.starts_with(failed.as_str()))
        .unwrap_or_else(|| panic!("{failed} not listed: {}", listed.ok()))
        .to_owned();
    assert_eq!(
        row.split_whitespace().nth(5),
        Some("0"),
        "list's RETRIES_LEFT: {row}"
    );
    let canceled = push(&db, &["generate_report", "--input", "{}", "--retries", "2"]);
    db.finish(&canceled, "canceled").await;
    let pending = push(&db, &["generate_report", "--input", "{}"]);

    let out = db.json(&["retry", &failed, "--retries", "4"]);
    assert_eq!(out["command"]["state"], "pending");
    assert_eq!(out["command"]["retries_left"], 4);
    assert_eq!(out["command"]["is_failed"], false);
    let out = db.run(&["retry", &canceled]);
    assert!(
        out.ok().contains("pending again with 2 retries left"),
        "{}",
        out.stdout
    );

    let before = db.snapshot().await;
    db.run(&["retry", &pending])
        .fails(5, "only failed or canceled");
    db.run(&["retry", &failed]).fails(5, "is pending");
    db.run(&["retry", &uuid::Uuid::now_v7().to_string()])
        .fails(3, "not found");
    assert_eq!(db.snapshot().await, before);
}

async fn prune_removes_old_finished_rows_in_batches(db: TestDb) {
    db.run(&["migrate"]).ok();
    let mut done = Vec::new();
    for _ in 0..3 {
        let id = push(&db, &["simple", "--input", "1"]);
        db.finish(&id, "completed").await;
        done.push(id);
    }
    let failed = push(&db, &["simple", "--input", "2"]);
    db.finish(&failed, "failed").await;
    let pending = push(&db, &["simple", "--input", "3"]);

    let out = db.run(&["prune", "--older-than", "2h"]);
    assert!(
        out.ok().contains("removed 0 finished command(s)"),
        "{}",
        out.stdout
    );
    let out = db.json(&[
        "prune",
        "--older-than",
        "30m",
        "--state",
        "completed",
        "--batch",
        "2",
    ]);
    assert_eq!(out["removed"], 3);
    assert_eq!(out["batches"], 2);
    let out = db.run(&["prune", "--older-than", "30m"]);
    assert!(
        out.ok()
            .contains("removed 1 finished command(s) older than 30m"),
        "{}",
        out.stdout
    );
    let left = db.json(&["list"]);
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["id"], pending.as_str());
}

async fn bad_input_changes_nothing(db: TestDb) {
    db.run(&["migrate"]).ok();
    let id = push(&db, &["simple", "--input", "{\"n\":1}"]);
    let before = db.snapshot().await;
    assert!(
        // (SQLite holds the id in upper case, as EF Core writes a `Guid` there.)
        before.to_lowercase().contains(&id) && before.contains("schema_migrations"),
        "{before}"
    );
    let prefix = db.prefix.clone();
    let url = db.url.clone();
    let missing = uuid::Uuid::now_v7().to_string();

    // Each: the arguments after the database options, the exit code, a part of the message.
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["show", "not-a-uuid"], 2, "not a UUID"),
        (vec!["cancel", "1234"], 2, "not a UUID"),
        (vec!["retry", "xyz"], 2, "not a UUID"),
        (vec!["show", &missing], 3, "not found"),
        (vec!["cancel", &missing], 3, "not found"),
        (vec!["retry", &missing], 3, "not found"),
        (vec!["workflow", "nope"], 2, "not a UUID"),
        (vec!["workflow", "nope", "--cancel"], 2, "not a UUID"),
        (vec!["workflow", &missing], 3, "not found"),
        (vec!["workflow", &missing, "--cancel"], 3, "not found"),
        (vec!["workflow", &missing, "--cancel", "--all"], 2, "--all"),
        (
            vec!["push", "simple", "--input", "{not json"],
            2,
            "invalid JSON",
        ),
        (vec!["push", "simple", "--input", ""], 2, "invalid JSON"),
        (
            vec!["push", "simple", "--input", "{}", "--delay", "-5m"],
            2,
            "negative durations",
        ),
        (
            vec!["push", "simple", "--input", "{}", "--timeout", "-1s"],
            2,
            "negative durations",
        ),
        (
            vec!["push", "simple", "--input", "{}", "--timeout", "0s"],
            2,
            "greater than zero",
        ),
        (
            vec!["push", "simple", "--input", "{}", "--delay", "soon"],
            2,
            "not a duration",
        ),
        (vec!["push", "", "--input", "{}"], 2, "must not be empty"),
        (
            vec!["push", "simple", "--input", "{}", "--retries", "-1"],
            2,
            "-1",
        ),
        (
            vec!["prune", "--older-than", "-7d"],
            2,
            "negative durations",
        ),
        (
            vec!["prune", "--older-than", "7d", "--state", "pending"],
            2,
            "pending",
        ),
        (vec!["list", "--since", "-1h"], 2, "negative durations"),
        (vec!["list", "--state", "lost"], 2, "lost"),
        (vec!["frobnicate"], 2, "frobnicate"),
    ];
    for (args, code, needle) in &cases {
        db.run(args).fails(*code, needle);
    }

    // Connection-level bad input, on the same data.
    let p = prefix.as_str();
    let bad_prefix = orchestratum(&[
        "--database-url",
        &url,
        "--table-prefix",
        "ORCH-; drop",
        "status",
    ]);
    bad_prefix.fails(2, "invalid table prefix");
    let dotted = orchestratum(&[
        "--database-url",
        &url,
        "--table-prefix",
        "a.b",
        "push",
        "x",
        "--input",
        "{}",
    ]);
    dotted.fails(2, "invalid table prefix");
    orchestratum(&[
        "--database-url",
        "oracle://db/app",
        "--table-prefix",
        p,
        "status",
    ])
    .fails(2, "unsupported database url scheme `oracle`");
    let malformed = orchestratum(&[
        "--database-url",
        "postgres://u:secret@h:notaport/db",
        "status",
    ]);
    malformed.fails(2, "invalid database url");
    assert!(!malformed.stderr.contains("secret"), "{}", malformed.stderr);
    orchestratum(&["--database-url", "no scheme at all", "status"])
        .fails(2, "invalid database url");
    let unreachable = orchestratum(&[
        "--database-url",
        "postgres://postgres:pw@127.0.0.1:1/orchestratum_test",
        "--table-prefix",
        p,
        "push",
        "simple",
        "--input",
        "{}",
    ]);
    unreachable.fails(4, "cannot connect");
    assert!(
        !unreachable.stderr.contains(":pw@"),
        "{}",
        unreachable.stderr
    );
    orchestratum(&["--database-url", "sqlite:///no/such/dir/orch.db", "status"])
        .fails(4, "cannot connect");
    orchestratum(&["status"]).fails(2, "no database url");

    assert_eq!(
        db.snapshot().await,
        before,
        "bad input changed the database"
    );
    assert_eq!(db.json(&["show", &id])["state"], "pending");
}

async fn unmigrated_schema_is_refused(db: TestDb) {
    let before = db.snapshot().await;
    for args in [
        &["status"][..],
        &["list"],
        &["push", "simple", "--input", "{}"],
        &["prune", "--older-than", "1d"],
        &["show", "0190c1f2-8b1e-7a3c-9d4e-5f6a7b8c9d0e"],
        &["workflow", "0190c1f2-8b1e-7a3c-9d4e-5f6a7b8c9d0e"],
        &[
            "workflow",
            "0190c1f2-8b1e-7a3c-9d4e-5f6a7b8c9d0e",
            "--cancel",
        ],
    ] {
        db.run(args).fails(5, "run `orchestratum migrate`");
    }
    assert_eq!(db.snapshot().await, before);
}

#[test]
fn help_documents_the_exit_codes() {
    let help = orchestratum(&["--help"]);
    let text = help.ok();
    for needle in [
        "Exit codes:",
        "2  bad input",
        "3  not found",
        "4  database unreachable",
        "5  refused",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    for sub in [
        "migrate",
        "status",
        "list",
        "show",
        "cancel",
        "retry",
        "push",
        "prune",
        "workers",
        "pause",
        "resume",
        "schedules",
        "workflow",
        "throughput",
    ] {
        assert!(text.contains(sub), "{sub} not in:\n{text}");
        assert_eq!(orchestratum(&[sub, "--help"]).code, 0, "{sub} --help");
    }
}

/// `workers` lists the registry (live and gone); `status` names the commands no live worker
/// handles.
async fn workers_and_unhandled_commands(db: TestDb) {
    db.run(&["migrate"]).ok();
    assert!(db.run(&["workers"]).ok().contains("no workers registered"));
    assert_eq!(db.json(&["workers"]), serde_json::json!([]));
    let (now, ago) = match db.backend {
        Backend::Postgres => ("now()", "now() - interval '1 hour'"),
        Backend::Sqlite => (
            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-1 hour')",
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => ("UTC_TIMESTAMP(6)", "UTC_TIMESTAMP(6) - INTERVAL 1 HOUR"),
    };
    let live = uuid::Uuid::now_v7();
    let gone = uuid::Uuid::now_v7();
    for (id, beat, key) in [(live, now, "default"), (gone, ago, "old")] {
        db.exec(&format!(
            "INSERT INTO {} (worker_id, instance_key, host, pid, version, names, \
             max_command_pull, lease_ms, started_at, heartbeat_at, in_flight) VALUES \
             ('{id}', '{key}', 'host-1', 42, '0.1.0', '[\"generate_report\"]', 100, 10000, \
             {ago}, {beat}, 2)",
            db.quoted("workers")
        ))
        .await;
    }
    let out = db.run(&["workers"]);
    let text = out.ok();
    for needle in [
        "INSTANCE_KEY",
        &live.to_string()[..],
        "alive",
        "gone",
        "generate_report",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    let listed = db.json(&["workers"]);
    assert_eq!(listed[0]["worker_id"], live.to_string().as_str());
    assert_eq!(listed[0]["alive"], true);
    assert_eq!(listed[0]["in_flight"], 2);
    assert_eq!(listed[0]["lease"], 10.0);
    assert_eq!(listed[1]["alive"], false);

    // A command its live worker handles, and one nobody does.
    push(&db, &["generate_report", "--input", "{}"]);
    push(&db, &["send_email", "--input", "{}"]);
    let status = db.json(&["status", "--unhandled-after", "0s"]);
    let unhandled = status["unhandled"].as_array().unwrap();
    assert_eq!(unhandled.len(), 1, "{unhandled:?}");
    assert_eq!(unhandled[0]["name"], "send_email");
    assert_eq!(unhandled[0]["target"], "default");
    let out = db.run(&["status", "--unhandled-after", "0s"]);
    let text = out.ok();
    assert!(
        text.contains("unhandled: commands due for over 0s"),
        "{text}"
    );
    let out = db.run(&["status"]);
    let text = out.ok();
    assert!(text.contains("unhandled: none"), "{text}");
}

async fn push_unique_and_priority(db: TestDb) {
    db.run(&["migrate"]).ok();
    let args = [
        "sync_user",
        "--input",
        "{\"user\": 42}",
        "--priority",
        "-2",
        "--unique-key",
        "sync:42",
        "--unique-over",
        "completed",
        "--unique-over",
        "canceled",
    ];
    let mut all = vec!["push"];
    all.extend_from_slice(&args);
    let first = db.json(&all);
    assert_eq!(first["inserted"], true, "{first}");
    assert_eq!(first["duplicate"], false, "{first}");
    let id = first["id"].as_str().expect("id").to_owned();
    assert_eq!(first["command"]["priority"], -2);
    assert_eq!(first["command"]["unique_key"], "sync:42");
    assert_eq!(
        first["command"]["unique_over"],
        serde_json::json!(["completed", "canceled"])
    );
    // The same key again: nothing inserted, the holder's id, said in words too.
    let again = db.json(&all);
    assert_eq!(again["inserted"], false, "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["id"], id.as_str());
    let run = db.run(&all);
    let text = run.ok();
    assert!(
        text.contains(&format!("duplicate: {id}")) && text.contains("`sync:42`"),
        "{text}"
    );
    // show and list carry priority and key.
    let run = db.run(&["show", &id]);
    let shown = run.ok();
    for needle in [
        "priority:            -2",
        "unique_key:          sync:42",
        "unique_over:         unfinished, completed, canceled",
    ] {
        assert!(shown.contains(needle), "{needle:?} not in:\n{shown}");
    }
    let run = db.run(&["list"]);
    let listed = run.ok();
    assert!(
        listed.contains("PRIORITY") && listed.contains("UNIQUE_KEY") && listed.contains("sync:42"),
        "{listed}"
    );
    // A key too long is refused with one clear line, and nothing is pushed.
    let long = "k".repeat(256);
    let out = db.run(&["push", "sync_user", "--input", "{}", "--unique-key", &long]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("unique key"), "{}", out.stderr);
    let listed = db.json(&["list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

async fn pause_resume_and_status(db: TestDb) {
    db.run(&["migrate"]).ok();
    let status = db.json(&["status"]);
    assert_eq!(status["paused"], serde_json::json!([]));
    assert!(db.run(&["status"]).ok().contains("paused: none"));

    let out = db.run(&["pause", "generate_report"]);
    assert!(
        out.ok().contains("paused `generate_report`"),
        "{}",
        out.stdout
    );
    let again = db.json(&["pause", "generate_report"]);
    assert_eq!(again["paused"], true);
    assert!(again["paused_at"].is_string(), "{again}");
    let status = db.json(&["status"]);
    assert_eq!(status["paused"], serde_json::json!(["generate_report"]));
    assert_eq!(status["controls"][0]["name"], "generate_report");
    let text = db.run(&["status"]);
    let text = text.ok();
    assert!(
        text.contains("generate_report") && text.contains("yes"),
        "{text}"
    );

    let resumed = db.json(&["resume", "generate_report"]);
    assert_eq!(resumed["paused"], false);
    assert!(resumed["paused_at"].is_null(), "{resumed}");
    assert_eq!(db.json(&["status"])["paused"], serde_json::json!([]));
    assert!(
        db.run(&["resume", "generate_report"])
            .ok()
            .contains("resumed `generate_report`")
    );

    let long = "x".repeat(256);
    db.run(&["pause", &long]).fails(2, "1 to 255 characters");
    db.run(&["pause"]).fails(2, "NAME");
}

/// `schedules` lists the stored schedules; `pause`, `resume` and `trigger` steer one by name
/// from its row alone (the CLI has no schedule in its code); an unknown name exits 3.
async fn schedules_list_pause_resume_trigger(db: TestDb) {
    db.run(&["migrate"]).ok();
    assert!(db.run(&["schedules"]).ok().contains("no schedules"));
    assert_eq!(db.json(&["schedules"]), serde_json::json!([]));
    let (now, far) = match db.backend {
        Backend::Postgres => ("now()", "'2999-01-01T00:00:00Z'"),
        Backend::Sqlite => (
            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
            "'2999-01-01 00:00:00.000+00:00'",
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => ("UTC_TIMESTAMP(6)", "'2999-01-01 00:00:00'"),
    };
    // As a started instance registers it.
    db.exec(&format!(
        "INSERT INTO {} (name, kind, expression, time_zone, misfire, command_name, \
         command_input, target, timeout_us, retries, next_run_at, last_run_at, paused, \
         registered_at) VALUES ('nightly', 'cron', '0 3 * * *', 'Europe/Paris', 'skip', \
         'generate_report', '{{\"kind\":\"daily\"}}', 'default', 5000000, 3, {far}, NULL, \
         false, {now})",
        db.quoted("schedules")
    ))
    .await;
    let text = db.run(&["schedules"]).ok().to_owned();
    for needle in [
        "NAME",
        "NEXT_RUN",
        "nightly",
        "0 3 * * *",
        "Europe/Paris",
        "2999-01-01",
        "generate_report",
        "skip",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    let listed = db.json(&["schedules"]);
    assert_eq!(listed[0]["name"], "nightly");
    assert_eq!(listed[0]["paused"], false);
    assert_eq!(listed[0]["misfire"], "skip");
    assert_eq!(listed[0]["command"], "generate_report");
    assert_eq!(listed[0]["last_run_at"], serde_json::Value::Null);

    let out = db.run(&["schedules", "pause", "nightly"]);
    assert!(
        out.ok().contains("paused schedule `nightly`"),
        "{}",
        out.stdout
    );
    assert_eq!(db.json(&["schedules"])[0]["paused"], true);
    let out = db.run(&["schedules", "resume", "nightly"]);
    assert!(
        out.ok().contains("resumed schedule `nightly`"),
        "{}",
        out.stdout
    );
    let resumed = db.json(&["schedules", "resume", "nightly"]);
    assert_eq!(resumed["schedule"]["paused"], false);
    let next = resumed["schedule"]["next_run_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!next.starts_with("2999"), "resume counts from now: {next}");

    let triggered = db.json(&["schedules", "trigger", "nightly"]);
    let id = triggered["id"].as_str().expect("id").to_owned();
    let shown = db.json(&["show", &id]);
    assert_eq!(shown["name"], "generate_report");
    assert_eq!(shown["target"], "default");
    assert_eq!(shown["state"], "pending");
    assert_eq!(db.json(&["schedules"])[0]["next_run_at"], next.as_str());

    for action in ["pause", "resume", "trigger"] {
        db.run(&["schedules", action, "nope"])
            .fails(3, "schedule `nope` not found");
    }
}

/// A workflow's first step.
#[derive(Serialize, Deserialize)]
struct FetchCommand;
impl orchestratum::Command for FetchCommand {
    type Output = u32;
}

/// A middle step.
#[derive(Serialize, Deserialize)]
struct ParseCommand;
impl orchestratum::Command for ParseCommand {
    type Output = u32;
}

/// The step after both branches.
#[derive(Serialize, Deserialize)]
struct MergeCommand;
impl orchestratum::Command for MergeCommand {
    type Output = ();
}

/// The failure step, and a batch's callback.
#[derive(Serialize, Deserialize)]
struct AlertCommand;
impl orchestratum::Command for AlertCommand {
    type Output = ();
}

/// A client of the test's database, with no worker: nothing runs what it pushes.
async fn client(db: &TestDb) -> Client {
    Orchestratum::builder()
        .database(&db.url)
        .table_prefix(&db.prefix)
        .migrate(false)
        .connect()
        .await
        .expect("connect a client")
}

/// `workflow ID` prints the diamond a → b, c → d (d runs if c fails) with its failure step, in
/// text and JSON; `show` of a step names its workflow, key, parents and children; `status` and
/// `list --state waiting` count the steps that wait; `--cancel` leaves a request on each
/// unfinished step; an unknown id exits 3.
async fn workflow_graph_show_and_cancel(db: TestDb) {
    db.run(&["migrate"]).ok();
    let client = client(&db).await;
    let pushed = client
        .push_workflow(
            Workflow::new("report")
                .step(Step::new("a", FetchCommand))
                .step(Step::new("b", ParseCommand).after("a"))
                .step(Step::new("c", ParseCommand).after("a"))
                .step(
                    Step::new("d", MergeCommand)
                        .after("b")
                        .after_with("c", IfParentFails::Run),
                )
                .on_failure(Step::new("alert", AlertCommand)),
        )
        .await
        .expect("push the workflow");
    let wid = pushed.id.to_string();
    let info = client.workflow(pushed.id).await.expect("read it back");
    let id = |key: &str| info.step(key).expect(key).command.id.to_string();
    let (a, b, c, d, alert) = (id("a"), id("b"), id("c"), id("d"), id("alert"));

    // JSON: WorkflowInfo as it serializes, steps in push order.
    let shown = db.json(&["workflow", &wid]);
    assert_eq!(shown["id"], wid.as_str());
    assert_eq!(shown["name"], "report");
    assert_eq!(shown["state"], "running");
    let steps = shown["steps"].as_array().expect("steps");
    let keys: Vec<&str> = steps.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["a", "b", "c", "d", "alert"]);
    let states: Vec<&str> = steps
        .iter()
        .map(|s| s["command"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["pending", "waiting", "waiting", "waiting", "waiting"]
    );
    assert_eq!(steps[0]["parents"], serde_json::json!([]));
    assert_eq!(steps[1]["parents"], serde_json::json!([[a, "cancel"]]));
    assert_eq!(
        steps[3]["parents"],
        serde_json::json!([[b, "cancel"], [c, "run"]])
    );
    assert_eq!(steps[3]["command"]["id"], d.as_str());
    assert_eq!(steps[3]["command"]["name"], "merge");
    assert_eq!(steps[3]["command"]["workflow_id"], wid.as_str());
    assert_eq!(steps[4]["failure_step"], true);
    assert_eq!(steps[3]["failure_step"], false);

    // Text: one line per step with the steps it waits for.
    let expected = format!(
        "\
workflow: report  {wid}  running
steps:    5 (1 pending, 4 waiting)

STEP   ID                                    NAME   STATE    ATTEMPT  AFTER
a      {a}  fetch  pending        0  -
b      {b}  parse  waiting        0  after a
c      {c}  parse  waiting        0  after a
d      {d}  merge  waiting        0  after b, c (run if c fails)
alert  {alert}  alert  waiting        0  failure step: after every other step, if one failed or was canceled
"
    );
    assert_eq!(db.run(&["workflow", &wid]).ok(), expected);
    assert_eq!(
        db.run(&["workflow", &wid, "--all"]).ok(),
        expected,
        "no members, nothing more to list"
    );

    // show of a step: its workflow, key, parents and children, beside the unchanged record.
    let out = db.run(&["show", &d]);
    let text = out.ok();
    for needle in [
        format!("id:                  {d}"),
        "scheduled_at:        9999-12-31 00:00:00 (waiting for its parents)".to_owned(),
        format!("workflow:   {wid} report (running)"),
        "step:       d".to_owned(),
        format!(
            "parents:\n  STEP  ID                                    NAME   STATE    IF_IT_FAILS\n  \
             b     {b}  parse  waiting  cancel\n  \
             c     {c}  parse  waiting  run\n"
        ),
        format!(
            "children:\n  STEP   ID                                    NAME   STATE    IF_THIS_FAILS\n  \
             alert  {alert}  alert  waiting  run\n"
        ),
    ] {
        assert!(text.contains(&needle), "{needle:?} not in:\n{text}");
    }
    let out = db.run(&["show", &a]);
    let text = out.ok();
    assert!(text.contains("step:       a\nparents:    -\n"), "{text}");
    for child in [&b, &c, &alert] {
        assert!(text.contains(child.as_str()), "{child} not in:\n{text}");
    }
    let out = db.run(&["show", &alert]);
    assert!(
        out.ok().contains("step:       alert (the failure step"),
        "{}",
        out.stdout
    );
    let shown = db.json(&["show", &d]);
    assert_eq!(shown["id"], d.as_str());
    assert_eq!(shown["state"], "waiting");
    assert_eq!(shown["workflow_id"], wid.as_str());
    let w = &shown["workflow"];
    assert_eq!(w["id"], wid.as_str());
    assert_eq!(w["name"], "report");
    assert_eq!(w["state"], "running");
    assert_eq!(w["key"], "d");
    assert_eq!(w["failure_step"], false);
    assert_eq!(
        w["parents"],
        serde_json::json!([
            {"key": "b", "label": "b", "id": b, "name": "parse", "state": "waiting", "if_parent_fails": "cancel"},
            {"key": "c", "label": "c", "id": c, "name": "parse", "state": "waiting", "if_parent_fails": "run"},
        ])
    );
    assert_eq!(w["children"][0]["key"], "alert");
    assert_eq!(w["children"].as_array().map(Vec::len), Some(1));
    let shown = db.json(&["show", &a]);
    let children: Vec<&str> = shown["workflow"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["b", "c", "alert"]);
    let plain = push(&db, &["simple", "--input", "{}"]);
    let shown = db.json(&["show", &plain]);
    assert!(
        shown["workflow"].is_null() && shown["workflow_id"].is_null(),
        "{shown}"
    );
    assert!(!db.run(&["show", &plain]).ok().contains("workflow:"));

    // status and list count the steps that wait for their parents.
    let status = db.json(&["status"]);
    assert_eq!(status["by_state"]["waiting"], 4);
    assert_eq!(status["by_state"]["pending"], 2);
    assert_eq!(status["by_name"]["parse"]["waiting"], 2);
    let out = db.run(&["status"]);
    let text = out.ok();
    assert!(text.contains("waiting        4"), "{text}");
    assert!(
        text.contains("parse         0          0        2        0          0       0         0"),
        "{text}"
    );
    let mut waiting: Vec<String> = db
        .json(&["list", "--state", "waiting"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    waiting.sort();
    let mut expected = vec![b.clone(), c.clone(), d.clone(), alert.clone()];
    expected.sort();
    assert_eq!(waiting, expected);
    let out = db.run(&["list", "--state", "waiting"]);
    assert!(out.ok().contains(&format!("{d}  merge")), "{}", out.stdout);

    // --cancel: every unfinished step gets a cancel request (the waiting ones are released so
    // that a worker ends them canceled).
    let out = db.run(&["workflow", &wid, "--cancel"]);
    assert!(
        out.ok()
            .contains(&format!("cancel requested for 5 step(s) of workflow {wid}")),
        "{}",
        out.stdout
    );
    for step in [&a, &b, &c, &d, &alert] {
        let shown = db.json(&["show", step]);
        assert!(shown["cancel_requested_at"].is_string(), "{shown}");
        assert_eq!(shown["state"], "pending", "{shown}");
    }
    assert_eq!(
        db.json(&["show", &plain])["cancel_requested_at"],
        serde_json::Value::Null,
        "a command outside the workflow is left alone"
    );
    let again = db.json(&["workflow", &wid, "--cancel"]);
    assert_eq!(again, serde_json::json!({"id": wid, "requested": 5}));
    for step in [&a, &b, &c, &d, &alert] {
        db.finish(step, "canceled").await;
    }
    let out = db.run(&["workflow", &wid, "--cancel"]);
    assert!(out.ok().contains("nothing to cancel"), "{}", out.stdout);
    assert_eq!(db.json(&["workflow", &wid, "--cancel"])["requested"], 0);
    assert_eq!(db.json(&["workflow", &wid])["state"], "canceled");

    let missing = uuid::Uuid::now_v7().to_string();
    db.run(&["workflow", &missing])
        .fails(3, &format!("workflow {missing} not found"));
    db.run(&["workflow", &missing, "--cancel"])
        .fails(3, &format!("workflow {missing} not found"));
    db.run(&["workflow", "42"]).fails(2, "not a UUID");
}

/// A batch's members are counted by state in `workflow` and in `show` of its callback, and
/// listed with `--all` and in JSON.
async fn batch_members_are_summarized(db: TestDb) {
    db.run(&["migrate"]).ok();
    let client = client(&db).await;
    let pushed = client
        .push_workflow(
            Batch::new("imports")
                .commands((0..25).map(|_| FetchCommand))
                .callback(AlertCommand),
        )
        .await
        .expect("push the batch");
    let wid = pushed.id.to_string();
    let info = client.workflow(pushed.id).await.expect("read it back");
    let member = |i: usize| info.steps[i].command.id.to_string();
    let callback = info
        .step("callback")
        .expect("callback")
        .command
        .id
        .to_string();
    // Two members end, so the summary counts more than one state.
    db.finish(&member(0), "completed").await;
    db.finish(&member(1), "failed").await;

    let out = db.run(&["workflow", &wid]);
    let text = out.ok();
    let expected = format!(
        "\
workflow: imports  {wid}  running
steps:    26 (23 pending, 1 waiting, 1 completed, 1 failed)
25 members: 23 pending, 1 completed, 1 failed (list them with --all)

STEP      ID                                    NAME   STATE    ATTEMPT  AFTER
callback  {callback}  alert  waiting        0  after 25 members (run if any member fails)
"
    );
    assert_eq!(text, expected);
    let out = db.run(&["workflow", &wid, "--all"]);
    let text = out.ok();
    assert_eq!(text.lines().count(), 4 + 26, "{text}");
    assert!(!text.contains("list them with --all"), "{text}");
    assert!(
        text.contains(&format!("member 1   {}  fetch  completed", member(0))),
        "{text}"
    );
    assert!(
        text.contains(&format!("member 25  {}  fetch  pending", member(24))),
        "{text}"
    );
    let shown = db.json(&["workflow", &wid]);
    let steps = shown["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 26);
    assert!(steps[..25].iter().all(|s| s["key"].is_null()), "{shown}");
    assert_eq!(steps[25]["parents"].as_array().map(Vec::len), Some(25));

    let out = db.run(&["show", &callback]);
    let text = out.ok();
    assert!(
        text.contains(&format!(
            "parents:\n  25 members: 23 pending, 1 completed, 1 failed (list them with `orchestratum workflow {wid} --all`)\nchildren:   -"
        )),
        "{text}"
    );
    let shown = db.json(&["show", &callback]);
    assert_eq!(shown["workflow"]["key"], "callback");
    assert_eq!(
        shown["workflow"]["parents"].as_array().map(Vec::len),
        Some(25)
    );
    assert_eq!(shown["workflow"]["parents"][0]["label"], "member 1");
    assert_eq!(
        shown["workflow"]["parents"][0]["key"],
        serde_json::Value::Null
    );
    let out = db.run(&["show", &member(2)]);
    let text = out.ok();
    assert!(
        text.contains("step:       member 3\nparents:    -\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("  callback  {callback}  alert  waiting  run")),
        "{text}"
    );
}

async fn list_pages_delete_and_bulk_actions(db: TestDb) {
    db.run(&["migrate"]).ok();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(push(&db, &["job", "--input", &format!("{{\"n\":{n}}}")]));
    }
    let literal = push(&db, &["mail", "--input", "{\"s\":\"50% off_now\"}"]);
    let near = push(&db, &["mail", "--input", "{\"s\":\"50 X offXnow\"}"]);
    let mut newest_first = ids.clone();
    newest_first.extend([literal.clone(), near.clone()]);
    newest_first.reverse();

    // Keyset pages of 3, newest created first, each row once; the text form prints the cursor.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["list", "--paged", "--limit", "3"];
        if let Some(a) = after.as_deref() {
            args.extend(["--after", a]);
        }
        let page = db.json(&args);
        for row in page["commands"].as_array().unwrap() {
            seen.push(row["id"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);
    let text = db.run(&["list", "--paged", "--limit", "2"]);
    let text = text.ok();
    assert!(text.contains("next page: --after k1"), "{text}");
    let page = db.json(&["list", "--text", "50% OFF_"]);
    assert_eq!(page["commands"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["commands"][0]["id"], literal.as_str());
    let page = db.json(&["list", "--id", &ids[1], "--created-since", "10m"]);
    assert_eq!(page["commands"][0]["id"], ids[1].as_str());
    assert!(page["next"].is_null());
    db.run(&["list", "--after", "nonsense"])
        .fails(2, "invalid cursor");

    // delete ID: a pending one goes; unknown is 3; running under a live lease is 5.
    db.run(&["delete", &ids[0]]).ok();
    db.run(&["show", &ids[0]]).fails(3, "not found");
    db.run(&["delete", &ids[0]]).fails(3, "not found");
    let later = match db.backend {
        Backend::Postgres => "true, run_expires_at = now() + interval '1 hour'",
        Backend::Sqlite => "1, run_expires_at = '2999-01-01 00:00:00.000+00:00'",
        #[cfg(feature = "mysql")]
        Backend::Mysql => "TRUE, run_expires_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR",
    };
    let running = &ids[4];
    // SQLite rows hold ids in upper case, as EF Core writes a `Guid` there.
    let stored = match db.backend {
        Backend::Sqlite => running.to_uppercase(),
        _ => running.clone(),
    };
    db.exec(&format!(
        "UPDATE {{t}} SET is_running = {later} WHERE id = '{stored}'"
    ))
    .await;
    db.run(&["delete", running]).fails(5, "live lease");

    // The bulk forms refuse without --yes (exit 2, the count, nothing changed).
    db.finish(&ids[1], "failed").await;
    db.finish(&ids[2], "canceled").await;
    let before = db.snapshot().await;
    db.run(&["retry", "--name", "job"])
        .fails(2, "2 command(s) match and would be retried");
    db.run(&["delete", "--name", "job"]).fails(2, "--yes");
    db.run(&["cancel"]).fails(2, "bulk form");
    db.run(&["retry", &ids[1], "--yes"]).fails(2, "--yes");
    assert_eq!(db.snapshot().await, before);

    let out = db.json(&["retry", "--name", "job", "--yes"]);
    assert_eq!(
        (out["changed"].as_u64(), out["skipped"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(db.json(&["show", &ids[1]])["state"], "pending");
    let out = db.run(&["cancel", "--text", "50% off_", "--yes"]);
    assert!(
        out.ok().contains("asked to cancel 1 command(s)"),
        "{}",
        out.stdout
    );
    assert!(!db.json(&["show", &literal])["cancel_requested_at"].is_null());
    assert!(db.json(&["show", &near])["cancel_requested_at"].is_null());
    let out = db.json(&["delete", "--state", "pending", "--yes"]);
    // Every pending row but the leased one (it shows as running, so it is not selected).
    assert_eq!(
        (out["changed"].as_u64(), out["skipped"].as_u64()),
        (Some(5), Some(0))
    );
    let left = db.json(&["list", "--paged"]);
    let left: Vec<&str> = left["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, vec![running.as_str()]);
}

/// A running `orchestratum serve`: its process and the address it printed.
struct Served {
    child: std::process::Child,
    addr: String,
}

impl Served {
    /// Starts `serve --bind 127.0.0.1:0` with `env` set (and no dashboard variable inherited),
    /// and reads the address from its first line.
    fn start(db: &TestDb, extra: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_orchestratum"));
        command
            .args(["--database-url", &db.url, "--table-prefix", &db.prefix])
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .env_remove("DATABASE_URL")
            .env_remove("ORCHESTRATUM_DASHBOARD_TOKEN")
            .env_remove("ORCHESTRATUM_DASHBOARD_USER")
            .env_remove("ORCHESTRATUM_DASHBOARD_PASSWORD")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("start serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the first line");
        let addr = line
            .strip_prefix("dashboard on http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("first line: {line:?}"))
            .to_owned();
        Self { child, addr }
    }

    /// One HTTP/1.1 request with `headers`; the status code and the whole answer.
    fn request(&self, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for h in headers {
            head += h;
            head += "\r\n";
        }
        head += "\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        let code = answer
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("answer: {answer}"));
        (code, answer)
    }

    /// Sends SIGTERM and waits, with a deadline, for a clean exit.
    fn stop(mut self) {
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "serve exited with {status}");
                return;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not stop on SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// `serve` on a free port answers the overview; with a token, only a request bearing it; with
/// a user and password, only basic auth with both, and `--read-only` refuses a POST; a half
/// set of variables is refused before anything listens (exit 2); SIGTERM stops it (exit 0).
/// `list --text` with `--scan N` examines N rows a page: a page whose scan stopped prints a
/// line saying so with the `--after` that continues below the last row examined (and JSON
/// says it under `scan_stopped`); the continuation finds the older match.
async fn list_text_says_where_its_scan_stopped(db: TestDb) {
    db.run(&["migrate"]).ok();
    let needle = push(&db, &["job", "--input", "{\"note\":\"a needle\"}"]);
    let hay: Vec<String> = (0..3)
        .map(|n| push(&db, &["job", "--input", &format!("{{\"n\":{n}}}")]))
        .collect();

    let out = db.run(&["list", "--text", "needle", "--scan", "2"]);
    let text = out.ok();
    assert!(
        !text.contains(&needle) && !text.contains("no commands match"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("scan stopped: "))
        .unwrap_or_else(|| panic!("no scan line: {text}"));
    assert!(
        line.contains("0 match(es) in the 2 rows searched, down to ")
            && line.contains(&hay[1])
            && line.contains("older rows were not searched: continue with --after k1"),
        "{line}"
    );
    let cursor = line.rsplit(' ').next().unwrap();

    let page = db.json(&["list", "--text", "needle", "--scan", "2"]);
    assert_eq!(page["commands"].as_array().map(Vec::len), Some(0), "{page}");
    assert_eq!(page["scan_stopped"]["rows"], 2, "{page}");
    assert_eq!(page["scan_stopped"]["last_id"], hay[1].as_str(), "{page}");
    assert!(page["scan_stopped"]["created_at"].is_string(), "{page}");
    assert_eq!(page["next"], cursor, "{page}");

    let out = db.run(&["list", "--text", "needle", "--scan", "2", "--after", cursor]);
    let text = out.ok();
    assert!(text.contains(&needle), "{text}");
    assert!(
        !text.contains("scan stopped") && !text.contains("--after"),
        "{text}"
    );
    let whole = db.json(&["list", "--text", "needle"]);
    assert_eq!(whole["commands"][0]["id"], needle.as_str(), "{whole}");
    assert!(whole["scan_stopped"].is_null(), "{whole}");
    db.run(&["list", "--text", "needle", "--scan", "0"])
        .fails(2, "1 to 10000000 rows");
}

async fn serve_dashboard_with_auth(db: TestDb) {
    db.run(&["migrate"]).ok();
    let open = Served::start(&db, &[], &[]);
    let (code, page) = open.request("GET", "/", &[], "");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("<h1>Overview</h1>"), "{page}");
    open.stop();

    let token = Served::start(&db, &[], &[("ORCHESTRATUM_DASHBOARD_TOKEN", "s3cret")]);
    let (code, answer) = token.request("GET", "/", &[], "");
    assert_eq!(code, 401, "{answer}");
    assert!(
        answer.contains("WWW-Authenticate: Bearer") || answer.contains("www-authenticate: Bearer"),
        "{answer}"
    );
    assert_eq!(
        token
            .request("GET", "/", &["Authorization: Bearer wrong"], "")
            .0,
        401
    );
    let (code, page) = token.request("GET", "/workers", &["Authorization: Bearer s3cret"], "");
    assert_eq!(code, 200, "{page}");
    token.stop();

    let basic = Served::start(
        &db,
        &["--read-only"],
        &[
            ("ORCHESTRATUM_DASHBOARD_USER", "ops"),
            ("ORCHESTRATUM_DASHBOARD_PASSWORD", "pw"),
        ],
    );
    assert_eq!(basic.request("GET", "/", &[], "").0, 401);
    // "ops:wrong" and "ops:pw" in base64.
    assert_eq!(
        basic
            .request("GET", "/", &["Authorization: Basic b3BzOndyb25n"], "")
            .0,
        401
    );
    let (code, page) = basic.request("GET", "/flow", &["Authorization: Basic b3BzOnB3"], "");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("read-only") && !page.contains("method=\"post\""),
        "{page}"
    );
    let (code, refused) = basic.request(
        "POST",
        "/flow/pause",
        &[
            "Authorization: Basic b3BzOnB3",
            "Content-Type: application/x-www-form-urlencoded",
        ],
        "name=x",
    );
    assert_eq!(code, 403, "{refused}");
    basic.stop();
    let client = client(&db).await;
    assert!(client.admin().controls().await.unwrap().is_empty());

    let half = std::process::Command::new(env!("CARGO_BIN_EXE_orchestratum"))
        .args(["--database-url", &db.url, "--table-prefix", &db.prefix])
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("ORCHESTRATUM_DASHBOARD_TOKEN")
        .env_remove("ORCHESTRATUM_DASHBOARD_PASSWORD")
        .env("ORCHESTRATUM_DASHBOARD_USER", "ops")
        .output()
        .expect("run serve");
    assert_eq!(half.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&half.stderr);
    assert!(stderr.contains("go together"), "{stderr}");
    assert!(half.stdout.is_empty(), "nothing listened");
}

/// `throughput` sums the per-minute stats buckets since a time, by name and in total, with
/// the mean run time; `--name` and `--per-minute` narrow and detail it.
async fn throughput_sums_the_stats_buckets(db: TestDb) {
    db.run(&["migrate"]).ok();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60,
    )
    .unwrap();
    let rows = [
        (now - 5, "send_email", "completed", 8, 8_000_000),
        (now - 5, "send_email", "failed", 2, 2_000_000),
        (now - 2, "send_email", "completed", 4, 4_000_000),
        (now - 2, "report", "retried", 3, 0),
        // Two days old: outside the default hour.
        (now - 2 * 24 * 60, "report", "completed", 100, 0),
    ];
    for (minute, name, outcome, n, run_us) in rows {
        db.exec(&format!(
            "INSERT INTO {} (minute, name, outcome, n, run_us) VALUES \
             ({minute}, '{name}', '{outcome}', {n}, {run_us})",
            db.quoted("stats")
        ))
        .await;
    }
    let hour = db.json(&["throughput"]);
    assert_eq!(hour["total"]["completed"], 12, "{hour}");
    assert_eq!(hour["total"]["failed"], 2);
    assert_eq!(hour["total"]["retried"], 3);
    assert_eq!(hour["total"]["canceled"], 0);
    assert_eq!(hour["by_name"]["send_email"]["completed"], 12);
    // 14 s of run time over 14 outcomes.
    assert_eq!(hour["by_name"]["send_email"]["average_run_seconds"], 1.0);
    assert_eq!(hour["by_name"]["report"]["retried"], 3);
    assert!(hour.get("minutes").is_none());

    let week = db.json(&[
        "throughput",
        "--since",
        "7d",
        "--name",
        "report",
        "--per-minute",
    ]);
    assert_eq!(week["total"]["completed"], 100, "{week}");
    assert!(week["by_name"].get("send_email").is_none());
    assert_eq!(week["minutes"].as_array().unwrap().len(), 2);

    let out = db.run(&["throughput", "--per-minute"]);
    let text = out.ok();
    for needle in [
        "NAME",
        "COMPLETED",
        "AVG_RUN",
        "send_email",
        "total",
        "MINUTE",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    db.run(&["throughput", "--since", "yesterday"])
        .fails(2, "--since");
}
