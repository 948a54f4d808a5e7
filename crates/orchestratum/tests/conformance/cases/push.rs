//! Bulk push and push inside the caller's transaction.

use std::time::Duration;

use orchestratum::{Error, Push, State};

use super::with_all_handlers;
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
