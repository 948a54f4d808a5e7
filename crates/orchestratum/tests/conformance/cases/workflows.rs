//! Workflows and batches: steps wait for their parents and are released in the finishing
//! transaction of the last one, read their parents' outputs, and follow each failure policy.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::store::ClaimParams;
use orchestratum::{
    Batch, Builder, Canceled, Command, Context, Error, Handler, HandlerError, HandlerResult,
    IfParentFails, Next, Orchestratum, State, Step, Workflow, WorkflowState,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, eventually};

const SHUTDOWN: Duration = Duration::from_secs(5);
const DEADLINE: Duration = Duration::from_secs(30);

/// Returns `value`; fails for good when `fail`, fails its first run when `flaky`, cancels
/// itself when `cancel`. Its cancellation enqueues a `simple` follow-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepCommand {
    pub value: i64,
    #[serde(default)]
    pub fail: bool,
    #[serde(default)]
    pub flaky: bool,
    #[serde(default)]
    pub cancel: bool,
}
impl Command for StepCommand {
    type Output = i64;
    fn retries(&self) -> u16 {
        if self.flaky { 2 } else { 0 }
    }
    fn on_cancellation(&self, _: &Canceled) -> Vec<Next> {
        vec![Next::new(SimpleCommand { n: 77 })]
    }
}
pub struct StepHandler(pub Arc<Probe>);
impl Handler for StepHandler {
    type Command = StepCommand;
    async fn execute(&self, cmd: StepCommand, ctx: Context) -> HandlerResult<i64> {
        self.0.record("step", ctx.id(), ctx.attempt());
        if cmd.fail || (cmd.flaky && ctx.attempt() == 1) {
            return Err(HandlerError::fail("step failed"));
        }
        if cmd.cancel {
            return Err(HandlerError::cancel("step canceled itself"));
        }
        self.0.record("step_done", ctx.id(), ctx.attempt());
        Ok(cmd.value)
    }
}

/// Sums the outputs of its `StepCommand` parents and reports how they ended as its output.
#[derive(Debug, Serialize, Deserialize)]
pub struct SumCommand;
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sum {
    pub total: i64,
    pub b: Option<i64>,
    pub succeeded: usize,
    pub failed: usize,
    pub canceled: usize,
}
impl Command for SumCommand {
    type Output = Sum;
    fn retries(&self) -> u16 {
        0
    }
}
pub struct SumHandler(pub Arc<Probe>);
impl Handler for SumHandler {
    type Command = SumCommand;
    async fn execute(&self, _: SumCommand, ctx: Context) -> HandlerResult<Sum> {
        self.0.record("sum", ctx.id(), ctx.attempt());
        let parents = ctx.parents().await?;
        let counts = parents.counts();
        let b = match parents.output::<StepCommand>("b") {
            Err(Error::UnknownStep(_)) => None,
            other => other?,
        };
        Ok(Sum {
            total: parents.outputs::<StepCommand>()?.iter().sum(),
            b,
            succeeded: counts.succeeded,
            failed: counts.failed,
            canceled: counts.canceled,
        })
    }
}

fn builder(db: &TestDb, probe: &Arc<Probe>) -> Builder {
    db.builder().handlers((
        StepHandler(probe.clone()),
        SumHandler(probe.clone()),
        SimpleHandler(probe.clone()),
    ))
}

async fn start(db: &TestDb, probe: &Arc<Probe>) -> Orchestratum {
    builder(db, probe).start().await.expect("start worker")
}

fn ok(value: i64) -> StepCommand {
    StepCommand {
        value,
        fail: false,
        flaky: false,
        cancel: false,
    }
}

fn failing() -> StepCommand {
    StepCommand {
        fail: true,
        ..ok(0)
    }
}

async fn wait_workflow(orch: &Orchestratum, id: Uuid) -> orchestratum::WorkflowInfo {
    tokio::time::timeout(DEADLINE, orch.wait_workflow(id))
        .await
        .expect("workflow ends in time")
        .expect("wait_workflow")
}

fn state_of(info: &orchestratum::WorkflowInfo, key: &str) -> State {
    info.step(key).expect("step").command.state()
}

fn sum_of(info: &orchestratum::WorkflowInfo, key: &str) -> Sum {
    let text = info
        .step(key)
        .unwrap()
        .command
        .output
        .clone()
        .expect("output");
    serde_json::from_str(&text).unwrap()
}

pub async fn diamond_runs_in_order_and_reads_parent_outputs(db: TestDb) {
    let probe = Probe::new();
    let client = db.client().await;
    // Pushed before any worker runs: the steps with parents wait.
    let pushed = client
        .push_workflow(
            Workflow::new("diamond")
                .step(Step::new("a", ok(1)))
                .step(Step::new("b", ok(10)).after("a"))
                .step(Step::new("c", ok(100)).after("a"))
                .step(Step::new("d", SumCommand).after("b").after("c")),
        )
        .await
        .unwrap();
    let info = client.workflow(pushed.id).await.unwrap();
    assert_eq!(info.name, "diamond");
    assert_eq!(info.state, WorkflowState::Running);
    assert_eq!(state_of(&info, "a"), State::Pending);
    for key in ["b", "c", "d"] {
        assert_eq!(state_of(&info, key), State::Waiting, "{key}");
    }
    let d = pushed.step("d").unwrap();
    assert_eq!(info.step("d").unwrap().parents.len(), 2);
    assert_eq!(client.get(d).await.unwrap().workflow_id, Some(pushed.id));

    let orch = start(&db, &probe).await;
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(info.state, WorkflowState::Completed);
    assert_eq!(
        sum_of(&info, "d"),
        Sum {
            total: 110,
            b: Some(10),
            succeeded: 2,
            failed: 0,
            canceled: 0
        }
    );
    // Each step ran once, and after its parents had ended.
    let at = |key: &str| probe.times_of("step", pushed.step(key).unwrap());
    let done = |key: &str| probe.times_of("step_done", pushed.step(key).unwrap())[0];
    assert_eq!((at("a").len(), at("b").len(), at("c").len()), (1, 1, 1));
    assert!(at("b")[0] >= done("a") && at("c")[0] >= done("a"));
    let d_started = probe.times_of("sum", d);
    assert_eq!(d_started.len(), 1);
    assert!(d_started[0] >= done("b") && d_started[0] >= done("c"));
    assert!(matches!(
        orch.workflow(Uuid::now_v7()).await,
        Err(Error::WorkflowNotFound(_))
    ));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn failing_parent_cancels_its_dependants_by_default(db: TestDb) {
    let probe = Probe::new();
    let orch = start(&db, &probe).await;
    let pushed = orch
        .push_workflow(
            Workflow::new("cascade")
                .step(Step::new("a", failing()))
                .step(Step::new("b", ok(1)).after("a"))
                .step(Step::new("c", ok(2)).after("b"))
                .step(Step::new("side", ok(3))),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(info.state, WorkflowState::Failed);
    assert_eq!(state_of(&info, "a"), State::Failed);
    assert_eq!(state_of(&info, "b"), State::Canceled);
    assert_eq!(state_of(&info, "c"), State::Canceled);
    assert_eq!(state_of(&info, "side"), State::Completed);
    for key in ["b", "c"] {
        let id = pushed.step(key).unwrap();
        assert_eq!(probe.count_for("step", id), 0, "{key} never ran");
        // Canceled like any command: with its cancellation follow-ups.
        let follow_ups = eventually("cancellation follow-up", DEADLINE, || async {
            let f = orch.follow_ups(id).await.unwrap();
            (!f.is_empty()).then_some(f)
        })
        .await;
        assert_eq!(follow_ups[0].name, "simple");
    }
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn run_anyway_edge_runs_the_child_after_a_failure(db: TestDb) {
    let probe = Probe::new();
    let orch = start(&db, &probe).await;
    let pushed = orch
        .push_workflow(
            Workflow::new("anyway")
                .step(Step::new("a", failing()))
                .step(Step::new("b", ok(5)))
                .step(
                    Step::new("d", SumCommand)
                        .after_with("a", IfParentFails::Run)
                        .after("b"),
                ),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(state_of(&info, "d"), State::Completed);
    assert_eq!(
        sum_of(&info, "d"),
        Sum {
            total: 5,
            b: Some(5),
            succeeded: 1,
            failed: 1,
            canceled: 0
        }
    );
    assert_eq!(info.state, WorkflowState::Failed, "a step failed");
    // The workflow-wide default applies to edges without their own policy.
    let pushed = orch
        .push_workflow(
            Workflow::new("anyway by default")
                .if_parent_fails(IfParentFails::Run)
                .step(Step::new("a", failing()))
                .step(Step::new("d", SumCommand).after("a")),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(state_of(&info, "d"), State::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn failure_step_runs_only_when_a_step_did_not_succeed(db: TestDb) {
    let probe = Probe::new();
    let orch = start(&db, &probe).await;
    let fine = orch
        .push_workflow(
            Workflow::new("fine")
                .step(Step::new("a", ok(1)))
                .step(Step::new("b", ok(2)).after("a"))
                .on_failure(Step::new("alert", SumCommand)),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, fine.id).await;
    assert_eq!(info.state, WorkflowState::Completed);
    assert!(info.step("alert").unwrap().failure_step);
    assert_eq!(state_of(&info, "alert"), State::Canceled, "not needed");
    assert_eq!(probe.count_for("sum", fine.step("alert").unwrap()), 0);

    let broken = orch
        .push_workflow(
            Workflow::new("broken")
                .step(Step::new("a", failing()))
                .step(Step::new("b", ok(2)).after("a"))
                .on_failure(Step::new("alert", SumCommand)),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, broken.id).await;
    assert_eq!(info.state, WorkflowState::Failed);
    assert_eq!(state_of(&info, "alert"), State::Completed);
    let sum = sum_of(&info, "alert");
    assert_eq!((sum.failed, sum.canceled, sum.b), (1, 1, None));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn retried_parent_releases_its_child_only_once_it_succeeds(db: TestDb) {
    let probe = Probe::new();
    let orch = start(&db, &probe).await;
    let flaky = StepCommand {
        flaky: true,
        ..ok(4)
    };
    let pushed = orch
        .push_workflow(
            Workflow::new("retry")
                .step(Step::new("a", flaky))
                .step(Step::new("b", SumCommand).after("a")),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(info.state, WorkflowState::Completed);
    let a = pushed.step("a").unwrap();
    assert_eq!(
        probe.count_for("step", a),
        2,
        "a failed once, then succeeded"
    );
    let b_started = probe.times_of("sum", pushed.step("b").unwrap());
    assert_eq!(b_started.len(), 1);
    assert!(b_started[0] >= probe.times_of("step_done", a)[0]);
    assert_eq!(sum_of(&info, "b").total, 4);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn batch_of_a_thousand_runs_its_callback_once_on_two_instances(db: TestDb) {
    let probe = Probe::new();
    let client = db.client().await;
    // 1,000 members: every 10th fails (100), every 25th that is not a 10th cancels itself (20).
    let members = (0..1000).map(|n| StepCommand {
        value: 1,
        fail: n % 10 == 0,
        cancel: n % 10 != 0 && n % 25 == 0,
        flaky: false,
    });
    let pushed = client
        .push_workflow(
            Batch::new("thousand")
                .commands(members)
                .callback(SumCommand),
        )
        .await
        .unwrap();
    assert_eq!(pushed.steps.len(), 1001);
    // Two instances race to finish the last members.
    let one = builder(&db, &probe)
        .max_command_pull(50)
        .start()
        .await
        .unwrap();
    let two = builder(&db, &probe)
        .max_command_pull(50)
        .start()
        .await
        .unwrap();
    let info = wait_workflow(&one, pushed.id).await;
    let callback = pushed.step("callback").unwrap();
    assert_eq!(probe.count_for("sum", callback), 1, "the callback ran once");
    assert_eq!(info.step("callback").unwrap().command.attempt, 1);
    assert_eq!(
        sum_of(&info, "callback"),
        Sum {
            total: 880,
            b: None,
            succeeded: 880,
            failed: 100,
            canceled: 20
        }
    );
    assert_eq!(info.state, WorkflowState::Failed);
    one.shutdown(SHUTDOWN).await.unwrap();
    two.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn cancel_workflow_cancels_what_has_not_finished(db: TestDb) {
    let probe = Probe::new();
    let orch = builder(&db, &probe)
        .handlers(SleepHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let pushed = orch
        .push_workflow(
            Workflow::new("long")
                .step(Step::new("done", ok(1)))
                .step(Step::new("sleep", SleepCommand { millis: 60_000 }))
                .step(Step::new("after", ok(2)).after("sleep")),
        )
        .await
        .unwrap();
    let sleep = pushed.step("sleep").unwrap();
    probe.wait("sleep_started", 1, DEADLINE).await;
    crate::support::wait_for(&orch, pushed.step("done").unwrap(), "done", DEADLINE, |r| {
        r.state() == State::Completed
    })
    .await;
    assert_eq!(orch.cancel_workflow(pushed.id).await.unwrap(), 2);
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(info.state, WorkflowState::Canceled);
    assert_eq!(state_of(&info, "done"), State::Completed);
    assert_eq!(state_of(&info, "sleep"), State::Canceled);
    assert_eq!(state_of(&info, "after"), State::Canceled);
    assert_eq!(probe.count_for("step", pushed.step("after").unwrap()), 0);
    assert_eq!(orch.get(sleep).await.unwrap().state(), State::Canceled);
    assert_eq!(orch.cancel_workflow(pushed.id).await.unwrap(), 0);
    assert!(matches!(
        orch.cancel_workflow(Uuid::now_v7()).await,
        Err(Error::WorkflowNotFound(_))
    ));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn waiting_step_is_never_claimed(db: TestDb) {
    let client = db.client().await;
    let pushed = client
        .push_workflow(
            Workflow::new("blocked")
                .step(Step::new("a", UnhandledCommand))
                .step(Step::new("b", ok(1)).after("a")),
        )
        .await
        .unwrap();
    let b = pushed.step("b").unwrap();
    let names = vec![StepCommand::name().into_owned()];
    let claimed = client
        .store()
        .claim(ClaimParams {
            target: &client.config().instance_key,
            names: &names,
            limit: 10,
            lease: Duration::from_secs(30),
            worker: Uuid::now_v7(),
        })
        .await
        .unwrap();
    assert!(claimed.is_empty(), "a waiting step is not claimable");
    assert_eq!(client.get(b).await.unwrap().state(), State::Waiting);
    let summary = client.admin().summary(0).await.unwrap();
    assert_eq!(summary.by_state.get(State::Waiting), 1);
}

pub async fn invalid_workflow_is_refused_and_writes_nothing(db: TestDb) {
    let client = db.client().await;
    let cyclic = Workflow::new("cyclic")
        .step(Step::new("a", ok(1)).after("b"))
        .step(Step::new("b", ok(2)).after("a"));
    let err = client.push_workflow(cyclic).await.unwrap_err();
    assert!(matches!(err, Error::InvalidWorkflow { .. }), "{err}");
    assert!(err.to_string().contains("cycle"), "{err}");
    let unknown = Workflow::new("unknown").step(Step::new("a", ok(1)).after("nope"));
    let err = client.push_workflow(unknown).await.unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
    let sql = format!("SELECT count(*) FROM {}", db.table());
    assert_eq!(db.count(&sql).await, 0);
}

pub async fn workflow_in_rolled_back_transaction_leaves_nothing(db: TestDb) {
    let probe = Probe::new();
    let workflow = || {
        Workflow::new("tx")
            .step(Step::new("a", ok(1)))
            .step(Step::new("b", SumCommand).after("a"))
    };
    macro_rules! in_transaction {
        ($pool:ty, $set:ident) => {{
            let pool = <$pool>::connect(&db.url).await.unwrap();
            let orch = builder(&db, &probe)
                .$set(pool.clone())
                .start()
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            let gone = orch.push_workflow_in(&mut *tx, workflow()).await.unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let kept = orch.push_workflow_in(&mut *tx, workflow()).await.unwrap();
            tx.commit().await.unwrap();
            (orch, gone, kept)
        }};
    }
    let (orch, gone, kept) = match db.backend {
        Backend::Postgres => in_transaction!(sqlx::PgPool, postgres_pool),
        Backend::Sqlite => in_transaction!(sqlx::SqlitePool, sqlite_pool),
        #[cfg(feature = "mysql")]
        Backend::Mysql => in_transaction!(sqlx::MySqlPool, mysql_pool),
    };
    let info = wait_workflow(&orch, kept.id).await;
    assert_eq!(info.state, WorkflowState::Completed);
    assert_eq!(sum_of(&info, "b").total, 1);
    assert!(matches!(
        orch.workflow(gone.id).await,
        Err(Error::WorkflowNotFound(_))
    ));
    for step in &gone.steps {
        assert!(matches!(orch.get(step.id).await, Err(Error::NotFound(_))));
    }
    for (table, expected) in [
        ("commands", 2),
        ("workflow_steps", 2),
        ("workflow_edges", 1),
    ] {
        let sql = format!("SELECT count(*) FROM {}", db.quoted(table));
        assert_eq!(db.count(&sql).await, expected, "{table}");
    }
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn simultaneous_last_parents_release_their_child_once(db: TestDb) {
    use orchestratum::store::{Transition, TransitionKind};
    let client = db.client().await;
    let mut children = Vec::new();
    for n in 0..20 {
        let pushed = client
            .push_workflow(
                Workflow::new(format!("join {n}"))
                    .step(Step::new("left", ok(1)))
                    .step(Step::new("right", ok(2)))
                    .step(Step::new("join", SumCommand).after("left").after("right")),
            )
            .await
            .unwrap();
        children.push(pushed.step("join").unwrap());
    }
    let names = vec![StepCommand::name().into_owned()];
    let claimed = client
        .store()
        .claim(ClaimParams {
            target: &client.config().instance_key,
            names: &names,
            limit: 100,
            lease: Duration::from_secs(60),
            worker: Uuid::now_v7(),
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 40, "every parent, and no waiting child");
    let mut by_workflow: std::collections::HashMap<Uuid, Vec<Transition>> = Default::default();
    for c in &claimed {
        let workflow = client.get(c.id).await.unwrap().workflow_id.unwrap();
        by_workflow.entry(workflow).or_default().push(Transition {
            id: c.id,
            lease_token: Some(c.lease_token),
            kind: TransitionKind::Complete {
                output: "1".into(),
                note: None,
            },
            retries_left: None,
            follow_ups: Vec::new(),
            ran: true,
            step: true,
        });
    }
    // Both parents of each join end in two transactions started at the same moment.
    for (_, pair) in by_workflow {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = pair
            .into_iter()
            .map(|t| {
                let (client, barrier) = (client.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    client.store().record_outcomes(&[t]).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().len(), 1);
        }
    }
    for child in children {
        let record = client.get(child).await.unwrap();
        assert_eq!(
            record.state(),
            State::Pending,
            "the last parent released it"
        );
        assert!(record.cancel_requested_at.is_none());
    }
}

pub async fn released_steps_run_without_waiting_for_a_poll(db: TestDb) {
    let probe = Probe::new();
    // Polling once a minute: only the finishing transaction's wake-ups can start each step.
    let orch = builder(&db, &probe)
        .polling_interval(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let warmup = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    crate::support::wait_terminal(&orch, warmup).await;
    let started = std::time::Instant::now();
    let pushed = orch
        .push_workflow(
            Workflow::new("chain")
                .step(Step::new("a", ok(1)))
                .step(Step::new("b", ok(2)).after("a"))
                .step(Step::new("c", ok(3)).after("b"))
                .step(Step::new("d", SumCommand).after("c")),
        )
        .await
        .unwrap();
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(info.state, WorkflowState::Completed);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "four steps in a row took {:?}",
        started.elapsed()
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn canceling_a_waiting_step_cancels_it_and_the_steps_after_it(db: TestDb) {
    let probe = Probe::new();
    let chain = |name: &str| {
        Workflow::new(name)
            .step(Step::new("a", UnhandledCommand))
            .step(Step::new("b", ok(1)).after("a"))
            .step(Step::new("c", ok(2)).after("b"))
    };
    // A client that knows no command type leaves a request, which makes the step due.
    let client = db.client().await;
    let first = client.push_workflow(chain("by request")).await.unwrap();
    let b = first.step("b").unwrap();
    assert_eq!(
        client.cancel(b).await.unwrap(),
        orchestratum::Cancellation::Requested
    );
    let orch = start(&db, &probe).await;
    for key in ["b", "c"] {
        let id = first.step(key).unwrap();
        crate::support::wait_for(&orch, id, key, DEADLINE, |r| r.state() == State::Canceled).await;
        assert_eq!(probe.count_for("step", id), 0, "{key} never ran");
    }
    // An instance that knows the type cancels a waiting step at once.
    let second = orch.push_workflow(chain("at once")).await.unwrap();
    assert_eq!(
        orch.cancel(second.step("b").unwrap()).await.unwrap(),
        orchestratum::Cancellation::Canceled
    );
    let c = second.step("c").unwrap();
    crate::support::wait_for(&orch, c, "c", DEADLINE, |r| r.state() == State::Canceled).await;
    // The root never ran (nobody handles it): the workflows are still running.
    let info = orch.workflow(second.id).await.unwrap();
    assert_eq!(info.state, WorkflowState::Running);
    assert_eq!(state_of(&info, "a"), State::Pending);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn concurrent_first_workflow_pushes_share_the_pool(db: TestDb) {
    // A fresh client: whatever a backend reads once on first use, it has not read yet. Twenty
    // pushes at once, each holding a pooled connection in its transaction (ten in the pool).
    let client = db.client().await;
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .push_workflow(
                        Workflow::new(format!("first {n}"))
                            .step(Step::new("a", ok(n)))
                            .step(Step::new("b", ok(n)).after("a")),
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(DEADLINE, task)
            .await
            .expect("push in time")
            .unwrap()
            .expect("push");
    }
    let sql = format!("SELECT count(*) FROM {}", db.table());
    assert_eq!(db.count(&sql).await, 40);
}

pub async fn a_step_delay_counts_from_its_release(db: TestDb) {
    let probe = Probe::new();
    let orch = start(&db, &probe).await;
    let delay = Duration::from_secs(1);
    let pushed = orch
        .push_workflow(
            Workflow::new("delayed")
                .step(Step::new("a", ok(1)))
                .step(Step::with("b", ok(2), orchestratum::Push::new().delay(delay)).after("a")),
        )
        .await
        .unwrap();
    let (a, b) = (pushed.step("a").unwrap(), pushed.step("b").unwrap());
    let a =
        crate::support::wait_for(&orch, a, "a", DEADLINE, |r| r.state() == State::Completed).await;
    let b = crate::support::wait_for(&orch, b, "b released", DEADLINE, |r| {
        r.state() != State::Waiting
    })
    .await;
    // Both times are the database's: the release is in a's finishing transaction.
    let after = (b.scheduled_at - a.completed_at.unwrap()).to_std().unwrap();
    assert!(
        after >= delay && after < delay + Duration::from_secs(1),
        "b due {after:?} after a completed"
    );
    assert_eq!(b.state(), State::Scheduled);
    let info = wait_workflow(&orch, pushed.id).await;
    assert_eq!(info.state, WorkflowState::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}
