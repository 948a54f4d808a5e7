//! MySQL/MariaDB only: migrations, up and down, run under a named lock, and a version that
//! fails leaves nothing of itself behind although DDL is not transactional (each version is one
//! statement); a downgrade that fails keeps the versions it undid before.
#![cfg(feature = "mysql")]

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use orchestratum::Error;
use orchestratum::store::DowngradeParams;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection};

use support::{Backend, TestDb};

/// The lock name `migration_lock.sql` takes for this test's prefix.
fn lock_name(db: &TestDb) -> String {
    format!(
        "CONCAT('orchestratum:', SHA1(CONCAT(COALESCE(DATABASE(), ''), '.', '{}')))",
        db.prefix
    )
}

async fn scalar(conn: &mut MySqlConnection, sql: String) -> Option<i64> {
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_waits_for_the_lock_and_releases_it() {
    support::run(Backend::Mysql, |db: TestDb| async move {
        // Another instance is migrating: it holds the lock.
        let mut other = MySqlConnection::connect(&db.url).await.unwrap();
        let name = lock_name(&db);
        assert_eq!(
            scalar(&mut other, format!("SELECT GET_LOCK({name}, 5)")).await,
            Some(1)
        );
        let migrating = tokio::spawn({
            let db = db.clone();
            async move { db.builder().connect().await }
        });
        // Proves that nothing happens while the lock is held: a fixed wait is the point here.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!migrating.is_finished(), "migrated while the lock was held");
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = '{}commands'",
                db.prefix
            ))
            .await,
            0
        );
        assert_eq!(
            scalar(&mut other, format!("SELECT RELEASE_LOCK({name})")).await,
            Some(1)
        );
        let client = tokio::time::timeout(Duration::from_secs(30), migrating)
            .await
            .expect("migrate resumes once the lock is free")
            .unwrap()
            .expect("migrate");
        assert!(client.migrate().await.unwrap().applied.is_empty());
        // The migrating connection gave the lock back.
        assert_eq!(
            scalar(&mut other, format!("SELECT IS_FREE_LOCK({name})")).await,
            Some(1)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_version_leaves_nothing_of_itself_and_can_be_retried() {
    support::run(Backend::Mysql, |db: TestDb| async move {
        // A reference table someone changed by hand: one of the indexes version 2 drops is gone.
        db.exec(
            &include_str!("../src/store/mysql/migrations/0001_reference_schema.sql")
                .replace("{prefix}", &db.prefix),
        )
        .await;
        db.exec(&format!(
            "DROP INDEX `IX_{}commands_is_running` ON {}",
            db.prefix,
            db.table()
        ))
        .await;
        let client = db.builder().migrate(false).connect().await.unwrap();
        let err = client.migrate().await.unwrap_err();
        assert!(
            matches!(err, Error::Migration { version: 2, .. }),
            "{err:?}"
        );
        // One statement: none of its columns or indexes were applied, and it is not recorded.
        let columns = format!(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = '{}commands'",
            db.prefix
        );
        assert_eq!(db.count(&columns).await, 17);
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = '{}commands' \
                   AND index_name = 'IX_{}commands_unfinished'",
                db.prefix, db.prefix
            ))
            .await,
            0
        );
        assert_eq!(
            db.count(&format!(
                "SELECT max(version) FROM {}",
                db.quoted("schema_migrations")
            ))
            .await,
            1
        );
        // Put the index back, and the same call goes through.
        db.exec(&format!(
            "CREATE INDEX `IX_{}commands_is_running` ON {} (is_running)",
            db.prefix,
            db.table()
        ))
        .await;
        assert_eq!(
            client.migrate().await.unwrap().applied,
            vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        );
        assert_eq!(db.count(&columns).await, 29);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_down_takes_the_same_lock() {
    support::run(Backend::Mysql, |db: TestDb| async move {
        let client = db.client().await;
        let mut other = MySqlConnection::connect(&db.url).await.unwrap();
        let name = lock_name(&db);
        assert_eq!(
            scalar(&mut other, format!("SELECT GET_LOCK({name}, 5)")).await,
            Some(1)
        );
        let downgrading = tokio::spawn({
            let store = client.store().clone();
            async move {
                store
                    .migrate_down(DowngradeParams {
                        to: 2,
                        force: false,
                        dry_run: false,
                    })
                    .await
            }
        });
        // Proves that nothing happens while the lock is held: a fixed wait is the point here.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            !downgrading.is_finished(),
            "went down while the lock was held"
        );
        assert_eq!(
            client.store().migration_status().await.unwrap().current(),
            14
        );
        assert_eq!(
            scalar(&mut other, format!("SELECT RELEASE_LOCK({name})")).await,
            Some(1)
        );
        let report = tokio::time::timeout(Duration::from_secs(30), downgrading)
            .await
            .expect("migrate_down resumes once the lock is free")
            .unwrap()
            .expect("migrate_down");
        assert_eq!((report.from, report.current), (14, 2));
        assert_eq!(
            scalar(&mut other, format!("SELECT IS_FREE_LOCK({name})")).await,
            Some(1)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_down_version_keeps_the_ones_undone_before_it() {
    support::run(Backend::Mysql, |db: TestDb| async move {
        let client = db.client().await;
        let store = client.store().clone();
        // Changed by hand: an index that undoing version 2 drops is gone.
        db.exec(&format!(
            "DROP INDEX `IX_{}commands_parent_id` ON {}",
            db.prefix,
            db.table()
        ))
        .await;
        let to_one = DowngradeParams {
            to: 1,
            force: false,
            dry_run: false,
        };
        let err = store.migrate_down(to_one).await.unwrap_err();
        assert!(
            matches!(err, Error::Migration { version: 2, .. }),
            "{err:?}"
        );
        // DDL is not transactional: versions 8 to 3 stay undone and forgotten, and version 2,
        // one statement, is untouched and still recorded.
        let status = store.migration_status().await.unwrap();
        assert_eq!(status.current(), 2);
        let columns = format!(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = '{}commands'",
            db.prefix
        );
        assert_eq!(db.count(&columns).await, 23);
        let target_index = format!(
            "SELECT count(*) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{p}commands' \
               AND index_name = 'IX_{p}commands_target'",
            p = db.prefix
        );
        assert_eq!(db.count(&target_index).await, 1, "version 3 was undone");
        // Put the index back, and the same call goes on from version 2.
        db.exec(&format!(
            "CREATE INDEX `IX_{}commands_parent_id` ON {} (parent_id)",
            db.prefix,
            db.table()
        ))
        .await;
        let report = store.migrate_down(to_one).await.unwrap();
        assert_eq!(
            report
                .reverted
                .iter()
                .map(|m| m.version)
                .collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(db.count(&columns).await, 17);
        assert_eq!(
            client.migrate().await.unwrap().applied,
            vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        );
        assert_eq!(db.count(&target_index).await, 0);
    })
    .await;
}
