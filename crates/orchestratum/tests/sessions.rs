//! The server sessions of the pools the library makes end an idle transaction after a minute:
//! a worker frozen or cut off in the middle of one does not keep its row locks for hours.

#[path = "support/mod.rs"]
mod support;

use orchestratum::store::Store;
use support::{Backend, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sessions_end_idle_transactions() {
    let db = TestDb::new(Backend::Postgres).await;
    let client = db.client().await;
    let Store::Postgres(pg) = client.store() else {
        panic!("a PostgreSQL store")
    };
    let setting: String = sqlx::query_scalar("SHOW idle_in_transaction_session_timeout")
        .fetch_one(pg.pool())
        .await
        .unwrap();
    assert_eq!(setting, "1min");
    db.cleanup().await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_sessions_end_idle_transactions() {
    let db = TestDb::new(Backend::Mysql).await;
    let client = db.client().await;
    let Store::MySql(my) = client.store() else {
        panic!("a MySQL store")
    };
    let setting: u64 = sqlx::query_scalar("SELECT @@session.idle_transaction_timeout")
        .fetch_one(my.pool())
        .await
        .unwrap();
    assert_eq!(setting, 60);
    db.cleanup().await;
}

/// The claim turns `synchronous_commit` off for its own transaction only: the session it ran
/// on keeps the setting it had (a pooler may hand that session to anyone next).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claim_leaves_no_session_setting() {
    let db = TestDb::new(Backend::Postgres).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    let show = || sqlx::query_scalar::<_, String>("SHOW synchronous_commit").fetch_one(&pool);
    let before = show().await.unwrap();
    let client = db
        .builder()
        .postgres_pool(pool.clone())
        .connect()
        .await
        .unwrap();
    client
        .push(support::commands::SimpleCommand { n: 1 })
        .await
        .unwrap();
    let names = vec!["simple".to_owned()];
    let claimed = client
        .store()
        .claim(orchestratum::store::ClaimParams {
            target: "test",
            names: &names,
            limit: 10,
            lease: std::time::Duration::from_secs(30),
            worker: uuid::Uuid::now_v7(),
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        show().await.unwrap(),
        before,
        "the claim's setting outlived it"
    );
    db.cleanup().await;
}
