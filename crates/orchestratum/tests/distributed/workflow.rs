//! Workflows under kills: the steps of ten workflows (a root, a fan-out of six, two joins and a
//! join of joins) run on three worker processes, and every second or so a random one is
//! SIGKILLed mid-run and restarted. At the end every workflow ended as it would without the
//! kills: completed, each join's output the sum computed here from the inputs, every step
//! completed once (its only non-lapsed run), and no step claimed before its parents completed.
//!
//! `ORCH_WORKFLOW_SEED` replays a run (the step lengths and the kill moments and victims).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use orchestratum::{Push, State, Step, Workflow, WorkflowState};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::chaos::{Rng, env_or};
use super::process::{Worker, WorkerConfig};
use super::support::{self, Backend, TestDb};
use super::{id_text, int, unfinished};

/// The example worker's `step` command: its output is `2 * value + 1`.
#[derive(Debug, Serialize, Deserialize)]
struct StepCommand {
    value: i64,
    sleep_ms: u64,
}

impl orchestratum::Command for StepCommand {
    type Output = i64;
}

/// The example worker's `join` command: its output is the sum of its parents' outputs.
#[derive(Debug, Serialize, Deserialize)]
struct JoinCommand {
    sleep_ms: u64,
}

impl orchestratum::Command for JoinCommand {
    type Output = i64;
}

const WORKFLOWS: i64 = 10;
/// Steps of one workflow: root, s0..s5, j0, j1, top.
const STEPS: usize = 10;
/// Edges of one workflow: root → s0..s5, s0..s2 → j0, s3..s5 → j1, root, j0, j1 → top.
const EDGES: usize = 15;
const FAN_OUT: i64 = 6;

fn step_output(value: i64) -> i64 {
    2 * value + 1
}

/// The value of step `s{i}` (`None`: the root) of workflow `w`.
fn value_of(w: i64, i: Option<i64>) -> i64 {
    100 * w + i.map_or(0, |i| i + 1)
}

/// What the joins of workflow `w` return, computed from the inputs alone: (j0, j1, top).
fn expected_joins(w: i64) -> (i64, i64, i64) {
    let sum = |range: std::ops::Range<i64>| -> i64 {
        range.map(|i| step_output(value_of(w, Some(i)))).sum()
    };
    let (j0, j1) = (sum(0..FAN_OUT / 2), sum(FAN_OUT / 2..FAN_OUT));
    (j0, j1, step_output(value_of(w, None)) + j0 + j1)
}

/// Workflow `w`, with step lengths drawn from `rng`. Retries cover the runs a kill costs (a
/// lapsed lease costs one); the routing key is the workers'.
fn diamond(w: i64, rng: &mut Rng) -> Workflow {
    let push = || {
        Push::new()
            .target("wf")
            .retries(20)
            .timeout(Duration::from_secs(30))
    };
    let mut step = |key: &str, i: Option<i64>| {
        let cmd = StepCommand {
            value: value_of(w, i),
            sleep_ms: 300 + rng.below(600),
        };
        Step::with(key, cmd, push())
    };
    let mut workflow = Workflow::new(format!("diamond-{w}")).step(step("root", None));
    for i in 0..FAN_OUT {
        workflow = workflow.step(step(&format!("s{i}"), Some(i)).after("root"));
    }
    let join = |key: &str, rng: &mut Rng| {
        Step::with(
            key,
            JoinCommand {
                sleep_ms: 100 + rng.below(200),
            },
            push(),
        )
    };
    let (mut j0, mut j1) = (join("j0", rng), join("j1", rng));
    for i in 0..FAN_OUT / 2 {
        j0 = j0.after(format!("s{i}"));
        j1 = j1.after(format!("s{}", i + FAN_OUT / 2));
    }
    workflow
        .step(j0)
        .step(j1)
        .step(join("top", rng).after("j0").after("j1").after("root"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_workflow_under_kills() {
    let _serial = super::SERIAL.lock().await;
    support::run(Backend::Postgres, workflow_under_kills).await;
}

/// The same run on MySQL/MariaDB: released steps and lapsed leases are found by polling.
#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_workflow_under_kills() {
    let _serial = super::SERIAL.lock().await;
    support::run(Backend::Mysql, workflow_under_kills).await;
}

async fn workflow_under_kills(db: TestDb) {
    let seed = env_or("ORCH_WORKFLOW_SEED", 0x00c0_ffee_d1a3);
    eprintln!("workflow kills: seed {seed}");
    let mut rng = Rng(seed.max(1));
    let client = db.client().await;
    let mut config = WorkerConfig::new(&db.url, &db.prefix, "wf");
    config.lease_ms = 1_500;
    config.poll_ms = 300;
    // Few slots per worker, so the fan-out queues and steps are still running when kills come.
    config.concurrency = 4;
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(Worker::start(&config).await);
    }

    let mut ids = HashMap::new();
    for w in 0..WORKFLOWS {
        let pushed = client.push_workflow(diamond(w, &mut rng)).await.unwrap();
        ids.insert(w, pushed.id);
    }

    let started = Instant::now();
    let deadline = Duration::from_secs(60);
    let mut kills = 0;
    let mut next_kill = Instant::now() + kill_interval(&mut rng);
    while unfinished(&db).await > 0 {
        assert!(
            started.elapsed() < deadline,
            "not finished after {deadline:?} and {kills} kills; {} unfinished",
            unfinished(&db).await
        );
        if Instant::now() >= next_kill {
            let victim = usize::try_from(rng.below(3)).unwrap();
            workers.remove(victim).kill().await;
            workers.insert(victim, Worker::start(&config).await);
            kills += 1;
            next_kill = Instant::now() + kill_interval(&mut rng);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "workflow kills: finished in {:?} after {kills} kills",
        started.elapsed()
    );
    assert!(
        kills >= 3,
        "only {kills} kills before the end: make it longer"
    );
    for w in workers {
        assert!(w.terminate().await.success());
    }

    // Each workflow completed with the joins' outputs computed without kills, and every child
    // was claimed (its last claim) no earlier than each parent's completion.
    for (w, id) in &ids {
        let info = client.workflow(*id).await.unwrap();
        assert_eq!(info.state, WorkflowState::Completed, "{info:?}");
        assert_eq!(info.steps.len(), STEPS);
        let output = |key: &str| -> i64 {
            let step = info.step(key).unwrap_or_else(|| panic!("no step {key}"));
            serde_json::from_str(step.command.output.as_deref().expect("an output")).unwrap()
        };
        let (j0, j1, top) = expected_joins(*w);
        assert_eq!(
            (output("j0"), output("j1"), output("top")),
            (j0, j1, top),
            "joins of workflow {w}"
        );
        let by_id: HashMap<Uuid, _> = info.steps.iter().map(|s| (s.command.id, s)).collect();
        let mut edges = 0;
        for child in &info.steps {
            assert_eq!(child.command.state(), State::Completed);
            let claimed = child.command.running_at.expect("a completed step ran");
            for (parent, _) in &child.parents {
                let done = by_id[parent]
                    .command
                    .completed_at
                    .expect("parent completed");
                assert!(
                    claimed >= done,
                    "{:?} claimed at {claimed} before its parent {:?} completed at {done}",
                    child.key,
                    by_id[parent].key
                );
                edges += 1;
            }
        }
        assert_eq!(edges, EDGES);
    }

    let t = db.table();
    let attempts = db.quoted("attempts");
    let e = format!("{}effects", db.prefix);
    let c_id = id_text(&db, "c.id");
    // Exactly the steps pushed, each completed, nothing else in the table.
    let completed = db
        .count(&format!("SELECT count(*) FROM {t} WHERE is_completed"))
        .await;
    let rows = db.count(&format!("SELECT count(*) FROM {t}")).await;
    let steps = i64::try_from(STEPS).unwrap() * WORKFLOWS;
    assert_eq!((rows, completed), (steps, steps));
    // Completed once: every run before the last lapsed with its killed worker (one
    // `lease_expired` attempt each), and the last one is the run whose handler finished.
    let other_ends = db
        .count(&format!(
            "SELECT count(*) FROM {attempts} WHERE outcome <> 'lease_expired'"
        ))
        .await;
    assert_eq!(other_ends, 0, "a step run ended otherwise than by a kill");
    let miscounted = db
        .count(&format!(
            "SELECT count(*) FROM {t} c WHERE {} <> \
             (SELECT count(*) FROM {attempts} a WHERE a.command_id = c.id)",
            int(&db, "c.attempt - 1")
        ))
        .await;
    assert_eq!(miscounted, 0, "a step's earlier runs did not all lapse");
    let unfinished_last_run = db
        .count(&format!(
            "SELECT count(*) FROM {t} c WHERE NOT EXISTS (SELECT 1 FROM {e} x \
             WHERE x.command_id = {c_id} AND x.kind = 'done' AND x.attempt = c.attempt)"
        ))
        .await;
    assert_eq!(unfinished_last_run, 0, "a step completed without its run");
    let overlaps = db
        .count(&format!("SELECT count(*) FROM {e} WHERE kind = 'overlap'"))
        .await;
    assert_eq!(overlaps, 0, "two runs of a step overlapped in one process");
    // The kills did hit running steps: some run started and never finished.
    let cut_short = db
        .count(&format!(
            "SELECT count(*) FROM {e} s WHERE s.kind = 'started' AND NOT EXISTS \
             (SELECT 1 FROM {e} d WHERE d.command_id = s.command_id AND d.attempt = s.attempt \
             AND d.kind = 'done')"
        ))
        .await;
    eprintln!("workflow kills: {cut_short} runs cut short");
    assert!(cut_short > 0, "no kill interrupted a running step");
}

/// Time to the next kill.
fn kill_interval(rng: &mut Rng) -> Duration {
    Duration::from_millis(500 + rng.below(800))
}
