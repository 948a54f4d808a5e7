//! Unique commands (a key held by one live command at a time, per the unique index) and
//! priorities (the claim takes due commands by priority, then due time, then id).

use std::sync::Arc;
use std::time::Duration;

use orchestratum::store::ClaimParams;
use orchestratum::{
    Client, Command, Context, Error, Handler, HandlerResult, Next, Push, PushConnection, Pushed,
    State,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{with_all_handlers, worker};
use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);
const HOUR: Duration = Duration::from_secs(3600);

/// A command whose unique key comes from its input (`None`: not unique); never handled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyedCommand {
    pub key: Option<String>,
}
impl Command for KeyedCommand {
    type Output = ();
    fn unique_key(&self) -> Option<String> {
        self.key.as_ref().map(|k| format!("keyed:{k}"))
    }
    fn priority(&self) -> i16 {
        7
    }
}

/// Succeeds and enqueues three `simple` follow-ups that all carry the key `key`.
#[derive(Debug, Serialize, Deserialize)]
pub struct FanOutCommand {
    pub key: String,
}
impl Command for FanOutCommand {
    type Output = ();
    fn on_success(&self, _: &()) -> Vec<Next> {
        (0..3)
            .map(|n| Next::with(SimpleCommand { n }, Push::new().unique_key(&self.key)))
            .collect()
    }
}
pub struct FanOutHandler(pub Arc<Probe>);
impl Handler for FanOutHandler {
    type Command = FanOutCommand;
    async fn execute(&self, _: FanOutCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("fan_out", ctx.id(), ctx.attempt());
        Ok(())
    }
}

/// Rows of this test's table holding `key` in `unique_key`.
async fn rows_with_key(db: &TestDb, key: &str) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM {} WHERE unique_key = '{key}'",
        db.table()
    ))
    .await
}

pub async fn same_key_from_twenty_tasks_inserts_one_row(db: TestDb) {
    let client = db.client().await;
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .push_unique(SimpleCommand { n }, Push::new().unique_key("one"))
                    .await
                    .expect("unique push")
            })
        })
        .collect();
    let mut pushed = Vec::new();
    for task in tasks {
        pushed.push(task.await.unwrap());
    }
    let inserted: Vec<_> = pushed.iter().filter(|p| p.is_inserted()).collect();
    assert_eq!(inserted.len(), 1, "exactly one push inserted: {pushed:?}");
    let id = inserted[0].id();
    assert!(pushed.iter().all(|p| p.id() == id), "{pushed:?}");
    assert_eq!(rows_with_key(&db, "one").await, 1);
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM {}", db.table()))
            .await,
        1
    );
    // The plain push returns the holder's id too.
    let again = client
        .push_with(SimpleCommand { n: 99 }, Push::new().unique_key("one"))
        .await
        .unwrap();
    assert_eq!(again, id);
    let record = client.get(id).await.unwrap();
    assert_eq!(record.unique_key.as_deref(), Some("one"));
    assert!(record.unique_over.is_empty());
    assert_eq!(record.priority, 0);
    // A key the backends cannot index is refused before anything is sent.
    let err = client
        .push_with(
            SimpleCommand { n: 1 },
            Push::new().unique_key("k".repeat(256)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidText {
                what: "unique key",
                ..
            }
        ),
        "{err}"
    );
    let at_limit = "é".repeat(255);
    let pushed = client
        .push_unique(SimpleCommand { n: 1 }, Push::new().unique_key(&at_limit))
        .await
        .unwrap();
    assert_eq!(
        client.get(pushed.id()).await.unwrap().unique_key,
        Some(at_limit)
    );
}

pub async fn finished_command_frees_its_key_unless_its_state_is_kept(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    // Default: unique while unfinished only.
    let first = orch
        .push_unique(SimpleCommand { n: 1 }, Push::new().unique_key("free"))
        .await
        .unwrap();
    assert!(first.is_inserted());
    assert_eq!(
        wait_terminal(&orch, first.id()).await.state(),
        State::Completed
    );
    let second = orch
        .push_unique(SimpleCommand { n: 2 }, Push::new().unique_key("free"))
        .await
        .unwrap();
    assert!(second.is_inserted(), "{second:?}");
    assert_ne!(second.id(), first.id());
    assert_eq!(
        wait_terminal(&orch, second.id()).await.state(),
        State::Completed
    );
    // Failed for good frees it as well.
    let failed = orch
        .push_unique(
            AlwaysFailsCommand,
            Push::new().retries(0).unique_key("fails"),
        )
        .await
        .unwrap();
    assert_eq!(
        wait_terminal(&orch, failed.id()).await.state(),
        State::Failed
    );
    let after_failure = orch
        .push_unique(
            AlwaysFailsCommand,
            Push::new().retries(0).unique_key("fails"),
        )
        .await
        .unwrap();
    assert!(after_failure.is_inserted(), "{after_failure:?}");
    // With completed in its set, a completed command keeps its key.
    let kept = Push::new()
        .unique_key("kept")
        .unique_over([State::Completed]);
    let held = orch
        .push_unique(SimpleCommand { n: 3 }, kept.clone())
        .await
        .unwrap();
    let record = wait_terminal(&orch, held.id()).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.unique_over, vec![State::Completed]);
    let dup = orch
        .push_unique(SimpleCommand { n: 4 }, kept.clone())
        .await
        .unwrap();
    assert_eq!(dup, Pushed::Duplicate(held.id()));
    // The holder's set decides: a push that would not keep completed is still a duplicate.
    let dup = orch
        .push_unique(SimpleCommand { n: 5 }, Push::new().unique_key("kept"))
        .await
        .unwrap();
    assert_eq!(dup, Pushed::Duplicate(held.id()));
    assert_eq!(rows_with_key(&db, "kept").await, 1);
    assert_eq!(rows_with_key(&db, "free").await, 2);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn push_many_collapses_duplicates_in_the_batch_and_the_table(db: TestDb) {
    let client = db.client().await;
    let keyed = |k: Option<&str>| KeyedCommand {
        key: k.map(str::to_owned),
    };
    let first = client
        .push_many_unique(
            [
                keyed(Some("a")),
                keyed(Some("b")),
                keyed(Some("a")),
                keyed(None),
                keyed(Some("c")),
                keyed(Some("b")),
                keyed(None),
            ],
            Push::new(),
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 7);
    let (a, b, c) = (first[0], first[1], first[4]);
    assert!(
        a.is_inserted() && b.is_inserted() && c.is_inserted(),
        "{first:?}"
    );
    assert_eq!(first[2], Pushed::Duplicate(a.id()));
    assert_eq!(first[5], Pushed::Duplicate(b.id()));
    assert!(
        first[3].is_inserted() && first[6].is_inserted(),
        "{first:?}"
    );
    assert_ne!(first[3].id(), first[6].id());
    // Against the table: c is live, d is new.
    let second = client
        .push_many_unique([keyed(Some("c")), keyed(Some("d"))], Push::new())
        .await
        .unwrap();
    assert_eq!(second[0], Pushed::Duplicate(c.id()));
    assert!(second[1].is_inserted(), "{second:?}");
    // The plain push_many returns the holders' ids.
    let ids = client
        .push_many([keyed(Some("a")), keyed(Some("d"))])
        .await
        .unwrap();
    assert_eq!(ids, vec![a.id(), second[1].id()]);
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM {}", db.table()))
            .await,
        6
    );
    // The key and priority derived per type are stored.
    let record = client.get(a.id()).await.unwrap();
    assert_eq!(record.unique_key.as_deref(), Some("keyed:a"));
    assert_eq!(record.priority, 7);
}

/// Pushes key "tx" twice on `conn` (the caller's open transaction): the second is a
/// duplicate of the first, which the transaction sees although it has not committed.
async fn twice_in<Conn: PushConnection + ?Sized>(client: &Client, conn: &mut Conn) -> Uuid {
    let push = || Push::new().unique_key("tx");
    let first = client
        .push_in_unique(conn, SimpleCommand { n: 1 }, push())
        .await
        .unwrap();
    assert!(first.is_inserted(), "{first:?}");
    let second = client
        .push_in_unique(conn, SimpleCommand { n: 2 }, push())
        .await
        .unwrap();
    assert_eq!(second, Pushed::Duplicate(first.id()));
    first.id()
}

pub async fn push_in_is_unique_and_a_rollback_frees_the_key(db: TestDb) {
    let client = db.client().await;
    let rolled_back = match db.backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let id = twice_in(&client, &mut *tx).await;
            tx.rollback().await.unwrap();
            id
        }
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let id = twice_in(&client, &mut *tx).await;
            tx.rollback().await.unwrap();
            id
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            let pool = sqlx::MySqlPool::connect(&db.url).await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let id = twice_in(&client, &mut *tx).await;
            tx.rollback().await.unwrap();
            id
        }
    };
    assert!(matches!(
        client.get(rolled_back).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(rows_with_key(&db, "tx").await, 0);
    let after = client
        .push_unique(SimpleCommand { n: 3 }, Push::new().unique_key("tx"))
        .await
        .unwrap();
    assert!(after.is_inserted(), "{after:?}");
    assert_eq!(rows_with_key(&db, "tx").await, 1);
}

pub async fn unique_follow_ups_collapse(db: TestDb) {
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .handler(FanOutHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    // Three follow-ups with one key: one row.
    let parent = orch
        .push(FanOutCommand { key: "fan".into() })
        .await
        .unwrap();
    assert_eq!(wait_terminal(&orch, parent).await.state(), State::Completed);
    let children = orch.follow_ups(parent).await.unwrap();
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(children[0].unique_key.as_deref(), Some("fan"));
    // A live holder outside the batch (due in an hour): none is inserted, and the parent still
    // completes without an error.
    let holder = orch
        .push_with(
            SimpleCommand { n: 9 },
            Push::new().unique_key("held").delay(HOUR),
        )
        .await
        .unwrap();
    let parent = orch
        .push(FanOutCommand { key: "held".into() })
        .await
        .unwrap();
    let record = wait_terminal(&orch, parent).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.last_error, None);
    assert!(orch.follow_ups(parent).await.unwrap().is_empty());
    assert_eq!(rows_with_key(&db, "held").await, 1);
    assert_eq!(orch.get(holder).await.unwrap().state(), State::Scheduled);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn row_without_the_new_columns_is_claimed_and_runs(db: TestDb) {
    let client = db.client().await;
    let id = Uuid::now_v7();
    let (past, timeout, no) = match db.backend {
        Backend::Postgres => (
            "now() - interval '1 minute'",
            "interval '30 seconds'",
            "false",
        ),
        Backend::Sqlite => ("'2020-01-01 00:00:00.000000+00:00'", "'00:00:30'", "0"),
        #[cfg(feature = "mysql")]
        Backend::Mysql => (
            "UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE",
            "'00:00:30'",
            "FALSE",
        ),
    };
    // The reference's 17 columns only, as the .NET library inserts a row.
    db.exec(&format!(
        "INSERT INTO {table} (id, target, name, input, output, scheduled_at, timeout, \
         is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, \
         canceled_at, retries_left, is_failed, failed_at) VALUES ({id}, 'test', 'simple', \
         '{{\"n\":4}}', NULL, {past}, {timeout}, {no}, NULL, NULL, {no}, NULL, {no}, NULL, 3, \
         {no}, NULL)",
        table = db.table(),
        id = db.id_literal(id),
    ))
    .await;
    let record = client.get(id).await.unwrap();
    assert_eq!(
        (record.priority, record.unique_key.as_deref()),
        (0, None),
        "defaults for a row without the new columns"
    );
    // Two more like it, unique key-less and at priority 0, do not collide with each other.
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let done = wait_terminal(&orch, id).await;
    assert_eq!(done.state(), State::Completed);
    assert_eq!(done.output.as_deref(), Some("8"));
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn retry_is_refused_while_the_key_has_a_live_holder(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let failed = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(0).unique_key("r"))
        .await
        .unwrap();
    let before = wait_terminal(&orch, failed).await;
    assert_eq!(before.state(), State::Failed);
    let holder = orch
        .push_unique(
            AlwaysFailsCommand,
            Push::new().retries(0).unique_key("r").delay(HOUR),
        )
        .await
        .unwrap();
    assert!(holder.is_inserted(), "{holder:?}");
    let err = orch.admin().retry(failed, None).await.unwrap_err();
    match &err {
        Error::UniqueKeyTaken { id, key } => {
            assert_eq!((*id, key.as_str()), (failed, "r"));
        }
        other => panic!("expected UniqueKeyTaken, got {other:?}"),
    }
    assert!(err.to_string().contains("unique key `r`"), "{err}");
    // Nothing changed.
    let after = orch.get(failed).await.unwrap();
    assert_eq!(after.state(), State::Failed);
    assert_eq!(after.failed_at, before.failed_at);
    assert_eq!(after.retries_left, before.retries_left);
    // Once the holder is canceled, the key is free and the retry goes through.
    orch.cancel(holder.id()).await.unwrap();
    assert_eq!(
        wait_terminal(&orch, holder.id()).await.state(),
        State::Canceled
    );
    let retried = orch.admin().retry(failed, Some(0)).await.unwrap();
    assert!(retried.is_some(), "retried once the key is free");
    assert_eq!(wait_terminal(&orch, failed).await.state(), State::Failed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

/// Claims one `simple` command at a time until none is due; their inputs' `n`, in claim order.
async fn claim_order(client: &Client) -> Vec<u64> {
    let names = vec!["simple".to_owned()];
    let mut order = Vec::new();
    loop {
        let claimed = client
            .store()
            .claim(ClaimParams {
                target: "test",
                names: &names,
                limit: 1,
                lease: Duration::from_secs(60),
                worker: Uuid::now_v7(),
            })
            .await
            .unwrap();
        let Some(c) = claimed.first() else {
            return order;
        };
        let input: serde_json::Value = serde_json::from_str(&c.input).unwrap();
        order.push(input["n"].as_u64().unwrap());
        assert!(order.len() <= 20, "claimed too many: {order:?}");
    }
}

pub async fn higher_priority_due_commands_are_claimed_first(db: TestDb) {
    let client = db.client().await;
    let at = |p: i16| Push::new().priority(p);
    // Not due yet, but the highest priority: it must not hold the due ones back.
    client
        .push_with(SimpleCommand { n: 100 }, at(10).delay(HOUR))
        .await
        .unwrap();
    client
        .push_with(SimpleCommand { n: 1 }, at(0))
        .await
        .unwrap();
    // One statement: one scheduled_at, so id (push order) breaks the tie.
    client
        .push_many_with((2..5).map(|n| SimpleCommand { n }), at(0))
        .await
        .unwrap();
    client
        .push_with(SimpleCommand { n: 5 }, at(5))
        .await
        .unwrap();
    client
        .push_with(SimpleCommand { n: 6 }, at(-3))
        .await
        .unwrap();
    client
        .push_with(SimpleCommand { n: 7 }, at(2))
        .await
        .unwrap();
    // Pushed last (the highest id) but due earliest among priority 0: scheduled_at comes
    // before id.
    let early = client
        .push_with(SimpleCommand { n: 8 }, at(0))
        .await
        .unwrap();
    let earlier = match db.backend {
        Backend::Postgres => "now() - interval '1 hour'".to_owned(),
        Backend::Sqlite => "'2020-01-01 00:00:00.000000+00:00'".to_owned(),
        #[cfg(feature = "mysql")]
        Backend::Mysql => "UTC_TIMESTAMP(6) - INTERVAL 1 HOUR".to_owned(),
    };
    db.exec(&format!(
        "UPDATE {} SET scheduled_at = {earlier} WHERE id = {}",
        db.table(),
        db.id_literal(early)
    ))
    .await;
    assert_eq!(claim_order(&client).await, vec![5, 7, 8, 1, 2, 3, 4, 6]);
    // A batch claim takes the highest priorities too.
    client
        .push_many_with((10..13).map(|n| SimpleCommand { n }), at(1))
        .await
        .unwrap();
    client
        .push_many_with((20..23).map(|n| SimpleCommand { n }), at(3))
        .await
        .unwrap();
    let names = vec!["simple".to_owned()];
    let claimed = client
        .store()
        .claim(ClaimParams {
            target: "test",
            names: &names,
            limit: 3,
            lease: Duration::from_secs(60),
            worker: Uuid::now_v7(),
        })
        .await
        .unwrap();
    let mut ns: Vec<u64> = claimed
        .iter()
        .map(|c| {
            serde_json::from_str::<serde_json::Value>(&c.input).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, vec![20, 21, 22]);
}

pub async fn worker_runs_due_commands_by_priority(db: TestDb) {
    let client = db.client().await;
    let low = client
        .push_with(SimpleCommand { n: 1 }, Push::new().priority(-1))
        .await
        .unwrap();
    let high = client
        .push_with(SimpleCommand { n: 2 }, Push::new().priority(9))
        .await
        .unwrap();
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe)
        .max_command_pull(1)
        .start()
        .await
        .unwrap();
    assert_eq!(wait_terminal(&orch, low).await.state(), State::Completed);
    let (low_at, high_at) = (
        probe.times_of("simple", low),
        probe.times_of("simple", high),
    );
    assert!(
        high_at[0] < low_at[0],
        "the higher priority ran first: {high_at:?} vs {low_at:?}"
    );
    assert_eq!(orch.get(high).await.unwrap().priority, 9);
    orch.shutdown(SHUTDOWN).await.unwrap();
}
