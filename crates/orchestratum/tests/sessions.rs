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
