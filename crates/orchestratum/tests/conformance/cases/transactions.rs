//! Completion inside the handler's transaction: the handler's own rows and the command's
//! completion (with its follow-ups, and a workflow step's release) commit together, or not at
//! all when the lease was lost.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use orchestratum::{
    Command, CompletionTransaction, Context, Error, Handler, HandlerError, HandlerResult, Next,
    State, Step, Workflow, WorkflowState,
};
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, eventually, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);
const DEADLINE: Duration = Duration::from_secs(30);

/// Marks an order paid in the `effects` table and completes in the same transaction; its
/// success chains a `simple` command.
#[derive(Debug, Serialize, Deserialize)]
pub struct PayCommand {
    pub order: i64,
    /// Its row names a parent order that does not exist, which a deferred constraint refuses
    /// only at commit (PostgreSQL and SQLite).
    #[serde(default)]
    pub dangling: bool,
}
impl Command for PayCommand {
    type Output = i64;
    fn retries(&self) -> u16 {
        0
    }
    fn on_success(&self, order: &i64) -> Vec<Next> {
        vec![Next::new(SimpleCommand {
            n: u32::try_from(*order).unwrap_or(0),
        })]
    }
}

/// Runs `sql` on the transaction's connection for this backend.
async fn exec_in(
    tx: &mut CompletionTransaction,
    backend: Backend,
    sql: String,
) -> orchestratum::Result<()> {
    let sql = AssertSqlSafe(sql);
    match backend {
        Backend::Postgres => {
            sqlx::raw_sql(sql).execute(tx.postgres()?).await?;
        }
        Backend::Sqlite => {
            sqlx::raw_sql(sql).execute(tx.sqlite()?).await?;
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            sqlx::raw_sql(sql).execute(tx.mysql()?).await?;
        }
    }
    Ok(())
}

async fn create_effects(db: &TestDb) {
    let effects = db.quoted("effects");
    // MySQL checks every constraint at once; the others can wait for the commit.
    let parent = match db.backend {
        #[cfg(feature = "mysql")]
        Backend::Mysql => "parent BIGINT NULL".to_owned(),
        _ => format!(
            "parent BIGINT NULL REFERENCES {effects} (order_id) DEFERRABLE INITIALLY DEFERRED"
        ),
    };
    db.exec(&format!(
        "CREATE TABLE {effects} (order_id BIGINT PRIMARY KEY, paid INT NOT NULL, {parent})"
    ))
    .await;
}

async fn paid_rows(db: &TestDb, order: i64) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM {} WHERE order_id = {order} AND paid = 1",
        db.quoted("effects")
    ))
    .await
}

fn mark_paid(db: &TestDb, cmd: &PayCommand) -> String {
    let parent = if cmd.dangling { "-1" } else { "NULL" };
    format!(
        "INSERT INTO {} (order_id, paid, parent) VALUES ({}, 1, {parent})",
        db.quoted("effects"),
        cmd.order
    )
}

/// Pays in its transaction and completes there; with `gate`, it parks between its write and
/// `complete` (or, on SQLite, before it begins: see `lost_lease_…`) so the test can take the
/// lease, and reports what `complete` returned.
pub struct PayHandler {
    db: TestDb,
    probe: Arc<Probe>,
    gate: Option<Arc<Gate>>,
}

/// The test's hold on a parked handler.
#[derive(Default)]
pub struct Gate {
    /// The handler reached its parking point.
    parked: Notify,
    /// The test let it go on.
    go: Notify,
    /// What `complete` returned.
    result: Mutex<Option<orchestratum::Result<()>>>,
}

impl Handler for PayHandler {
    type Command = PayCommand;
    async fn execute(&self, cmd: PayCommand, ctx: Context) -> HandlerResult<i64> {
        self.probe.record("pay", ctx.id(), ctx.attempt());
        // SQLite's write transaction holds the one write lock: nobody can take the lease while
        // it is open, so there the lease is taken just before it begins.
        let park_before_begin = self.db.backend == Backend::Sqlite;
        if let Some(gate) = &self.gate
            && park_before_begin
        {
            gate.parked.notify_one();
            gate.go.notified().await;
        }
        let mut tx = ctx.transaction().await?;
        exec_in(&mut tx, self.db.backend, mark_paid(&self.db, &cmd)).await?;
        if let Some(gate) = &self.gate
            && !park_before_begin
        {
            gate.parked.notify_one();
            gate.go.notified().await;
        }
        let result = tx.complete(&cmd, &cmd.order).await;
        if let Some(gate) = &self.gate {
            let failed = result.as_ref().err().map(ToString::to_string);
            *gate.result.lock().unwrap() = Some(result);
            if let Some(why) = failed {
                return Err(HandlerError::fail(why));
            }
        } else {
            result?;
        }
        self.probe.record("paid", ctx.id(), ctx.attempt());
        Ok(cmd.order)
    }
}

/// A started worker running `PayHandler` (parked on `gate` if given) and `SimpleHandler`.
async fn pay_worker(
    db: &TestDb,
    probe: &Arc<Probe>,
    builder: orchestratum::Builder,
    gate: Option<Arc<Gate>>,
) -> orchestratum::Orchestratum {
    builder
        .handlers((
            PayHandler {
                db: db.clone(),
                probe: probe.clone(),
                gate,
            },
            SimpleHandler(probe.clone()),
        ))
        .start()
        .await
        .expect("start worker")
}

pub async fn handler_writes_and_completion_commit_together(db: TestDb) {
    create_effects(&db).await;
    let probe = Probe::new();
    let orch = pay_worker(&db, &probe, db.builder(), None).await;
    let id = orch
        .push(PayCommand {
            order: 7,
            dangling: false,
        })
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed, "{record:?}");
    assert_eq!(record.output.as_deref(), Some("7"));
    assert_eq!(record.last_error, None);
    assert_eq!(paid_rows(&db, 7).await, 1);
    // The follow-up was enqueued with the completion, and runs.
    let follow_up = orch.follow_ups(id).await.unwrap();
    assert_eq!(follow_up.len(), 1, "{follow_up:?}");
    assert_eq!(follow_up[0].name, "simple");
    let simple = wait_terminal(&orch, follow_up[0].id).await;
    assert_eq!(simple.state(), State::Completed);
    assert_eq!(simple.output.as_deref(), Some("14"));
    let client = orch.client();
    orch.shutdown(SHUTDOWN).await.unwrap();
    // Ran once, completed once: nothing wrote a second outcome, nothing ran it again.
    assert_eq!(probe.count_for("pay", id), 1);
    assert_eq!(probe.count_for("paid", id), 1);
    let attempts = client.attempts(id).await.unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].outcome, orchestratum::AttemptOutcome::Completed);
    assert_eq!(client.get(id).await.unwrap().state(), State::Completed);
    assert_eq!(paid_rows(&db, 7).await, 1);
}

/// Holds its transaction open (after a write) until the test lets it go, then completes.
#[derive(Debug, Serialize, Deserialize)]
pub struct OpenTxCommand {
    pub order: i64,
}
impl Command for OpenTxCommand {
    type Output = ();
}

struct OpenTxHandler {
    db: TestDb,
    gate: Arc<Gate>,
}

impl Handler for OpenTxHandler {
    type Command = OpenTxCommand;
    async fn execute(&self, cmd: OpenTxCommand, ctx: Context) -> HandlerResult<()> {
        let mut tx = ctx.transaction().await?;
        let pay = PayCommand {
            order: cmd.order,
            dangling: false,
        };
        exec_in(&mut tx, self.db.backend, mark_paid(&self.db, &pay)).await?;
        self.gate.parked.notify_one();
        self.gate.go.notified().await;
        tx.complete(&cmd, &()).await?;
        Ok(())
    }
}

/// A write of this process waits for a handler's open transaction instead of failing: on
/// SQLite that transaction holds the one write lock, and the client's pool here has no busy
/// timeout at all, so only the store's own turn-taking (`store/sqlite/write_turn.rs`) keeps
/// the push from failing with "database is locked".
pub async fn a_write_waits_for_a_handlers_open_transaction(db: TestDb) {
    create_effects(&db).await;
    let gate = Arc::new(Gate::default());
    let builder = match db.backend {
        Backend::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
            let pool = sqlx::SqlitePool::connect_with(
                options
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(Duration::ZERO),
            )
            .await
            .unwrap();
            db.builder().sqlite_pool(pool)
        }
        _ => db.builder(),
    };
    let orch = builder
        .handlers((
            OpenTxHandler {
                db: db.clone(),
                gate: gate.clone(),
            },
            SimpleHandler(Probe::new()),
        ))
        .start()
        .await
        .expect("start worker");
    let held = orch.push(OpenTxCommand { order: 3 }).await.unwrap();
    tokio::time::timeout(DEADLINE, gate.parked.notified())
        .await
        .expect("the handler holds its transaction");
    let mut pushing = tokio::spawn({
        let client = orch.client();
        async move { client.push(SimpleCommand { n: 5 }).await }
    });
    // Without turns, SQLite refuses this push at once; with them it waits for the commit.
    // The servers let it through while the transaction is open.
    if db.backend == Backend::Sqlite {
        let waited = tokio::time::timeout(Duration::from_millis(300), &mut pushing).await;
        assert!(
            waited.is_err(),
            "the push ended while the write lock was held: {waited:?}"
        );
    }
    gate.go.notify_one();
    let pushed = pushing
        .await
        .unwrap()
        .expect("a push waits for the open transaction");
    assert_eq!(wait_terminal(&orch, held).await.state(), State::Completed);
    assert_eq!(paid_rows(&db, 3).await, 1);
    assert_eq!(wait_terminal(&orch, pushed).await.state(), State::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn lost_lease_rolls_back_the_handlers_writes(db: TestDb) {
    create_effects(&db).await;
    let probe = Probe::new();
    let gate = Arc::new(Gate::default());
    // No renewal within the test: the lease is lost only when the test takes it.
    let builder = db.builder().lock_timeout_buffer(Duration::from_secs(60));
    let orch = pay_worker(&db, &probe, builder, Some(gate.clone())).await;
    let id = orch
        .push(PayCommand {
            order: 9,
            dangling: false,
        })
        .await
        .unwrap();
    tokio::time::timeout(DEADLINE, gate.parked.notified())
        .await
        .expect("the handler parks");
    // Another worker's claim, as far as the fence can tell.
    let thief = Uuid::new_v4();
    let token = match db.backend {
        Backend::Sqlite => format!("'{}'", thief.hyphenated().to_string().to_uppercase()),
        _ => format!("'{thief}'"),
    };
    db.exec(&format!(
        "UPDATE {} SET lease_token = {token} WHERE id = {}",
        db.table(),
        db.id_literal(id)
    ))
    .await;
    gate.go.notify_one();
    let result = eventually("complete to return", DEADLINE, || async {
        gate.result.lock().unwrap().take()
    })
    .await;
    assert!(
        matches!(result, Err(Error::LeaseLost(lost)) if lost == id),
        "{result:?}"
    );
    // Shutdown waits for the run to end and its outcome to be written: the executor's own
    // fenced write is refused too, and the row stays the thief's.
    let client = orch.client();
    orch.shutdown(SHUTDOWN).await.unwrap();
    let record = client.get(id).await.unwrap();
    assert_eq!(record.state(), State::Running, "{record:?}");
    assert_eq!(record.output, None);
    assert!(client.follow_ups(id).await.unwrap().is_empty());
    assert_eq!(
        paid_rows(&db, 9).await,
        0,
        "the handler's write was rolled back"
    );
    assert_eq!(probe.count_for("paid", id), 0);
}

pub async fn step_completed_in_its_transaction_releases_its_child(db: TestDb) {
    create_effects(&db).await;
    let probe = Probe::new();
    let orch = pay_worker(&db, &probe, db.builder(), None).await;
    let pushed = orch
        .push_workflow(
            Workflow::new("pay then notify")
                .step(Step::new(
                    "pay",
                    PayCommand {
                        order: 3,
                        dangling: false,
                    },
                ))
                .step(Step::new("notify", SimpleCommand { n: 5 }).after("pay")),
        )
        .await
        .unwrap();
    let info = tokio::time::timeout(DEADLINE, orch.wait_workflow(pushed.id))
        .await
        .expect("workflow ends in time")
        .expect("wait_workflow");
    assert_eq!(info.state, WorkflowState::Completed, "{info:?}");
    let pay = &info.step("pay").unwrap().command;
    let notify = &info.step("notify").unwrap().command;
    assert_eq!(pay.state(), State::Completed);
    assert_eq!(pay.output.as_deref(), Some("3"));
    assert_eq!(notify.state(), State::Completed);
    assert_eq!(notify.output.as_deref(), Some("10"));
    assert_eq!(probe.count_for("simple", notify.id), 1);
    assert_eq!(paid_rows(&db, 3).await, 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

/// A commit the database refuses (a deferred constraint of the handler's own row) takes the
/// completion with it: the command is not completed, and fails as any handler error does.
/// (MySQL and MariaDB check constraints per statement, so no commit fails there this way.)
pub async fn refused_commit_leaves_the_command_uncompleted(db: TestDb) {
    create_effects(&db).await;
    let probe = Probe::new();
    let orch = pay_worker(&db, &probe, db.builder(), None).await;
    let id = orch
        .push(PayCommand {
            order: 4,
            dangling: true,
        })
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed, "{record:?}");
    assert_eq!(record.output, None);
    assert!(
        record
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("database error")),
        "{record:?}"
    );
    assert!(orch.follow_ups(id).await.unwrap().is_empty());
    assert_eq!(paid_rows(&db, 4).await, 0);
    assert_eq!(probe.count_for("paid", id), 0);
    orch.shutdown(SHUTDOWN).await.unwrap();
}
