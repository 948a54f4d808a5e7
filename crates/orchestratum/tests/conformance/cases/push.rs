//! Bulk push and push inside the caller's transaction.

use std::time::Duration;

use orchestratum::{Error, Push, State};

use super::{with_all_handlers, worker};
use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

pub async fn bulk_push_in_one_call(db: TestDb) {
    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe).start().await.unwrap();
    let ids = orch
        .push_many((0..50).map(|n| SimpleCommand { n }))
        .await
        .unwrap();
    assert_eq!(ids.len(), 50);
    for id in &ids {
        assert_eq!(wait_terminal(&orch, *id).await.state(), State::Completed);
    }
    assert_eq!(probe.count("simple"), 50);
    assert!(
        orch.push_many(Vec::<SimpleCommand>::new())
            .await
            .unwrap()
            .is_empty()
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn bulk_push_larger_than_one_statement(db: TestDb) {
    // About 2.5 MiB of input: more than one MySQL statement carries (the batch is split, inside
    // one transaction), and far more than any backend needs to see in one go.
    let client = db.client().await;
    let text = "x".repeat(1024);
    let ids = client
        .push_many((0..2500).map(|seq| PayloadCommand {
            seq,
            text: text.clone(),
        }))
        .await
        .unwrap();
    assert_eq!(ids.len(), 2500);
    assert_eq!(db.count_named("payload").await, 2500);
    let last = client.get(ids[2499]).await.unwrap();
    assert_eq!(
        last.input.as_deref(),
        Some(format!(r#"{{"seq":2499,"text":"{text}"}}"#).as_str())
    );
}

pub async fn input_and_output_round_trip_exactly(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let text = "quotes \" ' ` and \\ backslashes, a\nnewline\tand tab, \\u0000 spelled out, a real \u{0} and \u{1b}, \
                é ß 中文 😀, {\"json\": [1, 2]} and a trailing space "
        .to_owned();
    let command = EchoCommand { text: text.clone() };
    let id = orch.push(EchoCommand { text: text.clone() }).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(
        record.input.as_deref(),
        Some(serde_json::to_string(&command).unwrap().as_str())
    );
    assert_eq!(
        record.output.as_deref(),
        Some(serde_json::to_string(&text).unwrap().as_str())
    );
    assert_eq!(
        orch.wait::<EchoCommand>(id).await.unwrap(),
        orchestratum::Finished::Completed(text)
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn long_timeouts_are_stored_or_refused_clearly(db: TestDb) {
    // 838:59:59 is the longest MySQL TIME(6) holds (the type Pomelo gives a TimeSpan), so it is
    // the longest timeout every backend stores.
    let client = db.client().await;
    let longest = Duration::from_secs(838 * 3600 + 59 * 60 + 59);
    let id = client
        .push_with(SimpleCommand { n: 1 }, Push::new().timeout(longest))
        .await
        .unwrap();
    assert_eq!(client.get(id).await.unwrap().timeout, longest);
    let forty_days = Duration::from_secs(40 * 86_400);
    let pushed = client
        .push_with(SimpleCommand { n: 2 }, Push::new().timeout(forty_days))
        .await;
    match db.backend {
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            let err = pushed.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidDuration {
                        what: "timeout",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert_eq!(db.count_named("simple").await, 1);
        }
        Backend::Postgres | Backend::Sqlite => {
            let id = pushed.unwrap();
            assert_eq!(client.get(id).await.unwrap().timeout, forty_days);
        }
    }
}

pub async fn push_in_rolled_back_transaction_leaves_no_row(db: TestDb) {
    let probe = Probe::new();
    match db.backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let orch = with_all_handlers(&db, &probe)
                .postgres_pool(pool.clone())
                .start()
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            let gone = orch
                .push_in(&mut *tx, SimpleCommand { n: 1 }, Push::new())
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let kept = orch
                .push_in(&mut *tx, SimpleCommand { n: 2 }, Push::new())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            check(&db, &orch, gone, kept, &probe).await;
            // A connection of another backend is refused, not misused.
            let mut other =
                <sqlx::SqliteConnection as sqlx::Connection>::connect("sqlite::memory:")
                    .await
                    .unwrap();
            let err = orch
                .push_in(&mut other, SimpleCommand { n: 3 }, Push::new())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::BackendMismatch { .. }), "{err}");
            orch.shutdown(SHUTDOWN).await.unwrap();
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            let pool = sqlx::MySqlPool::connect(&db.url).await.unwrap();
            let orch = with_all_handlers(&db, &probe)
                .mysql_pool(pool.clone())
                .start()
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            let gone = orch
                .push_in(&mut *tx, SimpleCommand { n: 1 }, Push::new())
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let kept = orch
                .push_in(&mut *tx, SimpleCommand { n: 2 }, Push::new())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            check(&db, &orch, gone, kept, &probe).await;
            let mut other =
                <sqlx::SqliteConnection as sqlx::Connection>::connect("sqlite::memory:")
                    .await
                    .unwrap();
            let err = orch
                .push_in(&mut other, SimpleCommand { n: 3 }, Push::new())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::BackendMismatch { .. }), "{err}");
            orch.shutdown(SHUTDOWN).await.unwrap();
        }
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let orch = with_all_handlers(&db, &probe)
                .sqlite_pool(pool.clone())
                .start()
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            let gone = orch
                .push_in(&mut *tx, SimpleCommand { n: 1 }, Push::new())
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            let kept = orch
                .push_in(&mut *tx, SimpleCommand { n: 2 }, Push::new())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            check(&db, &orch, gone, kept, &probe).await;
            orch.shutdown(SHUTDOWN).await.unwrap();
        }
    }

    async fn check(
        db: &TestDb,
        orch: &orchestratum::Orchestratum,
        gone: uuid::Uuid,
        kept: uuid::Uuid,
        probe: &Probe,
    ) {
        assert_eq!(wait_terminal(orch, kept).await.state(), State::Completed);
        assert!(matches!(orch.get(gone).await, Err(Error::NotFound(_))));
        assert_eq!(db.count_named("simple").await, 1);
        assert_eq!(probe.count_for("simple", gone), 0);
    }
}
