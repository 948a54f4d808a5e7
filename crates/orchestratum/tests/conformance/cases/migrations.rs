//! Migrations: idempotent, safe to run from several instances at once, and able to adopt a
//! table the .NET library created.

use std::time::Duration;

use orchestratum::State;

use super::with_all_handlers;
use crate::support::{Backend, Probe, TestDb, wait_terminal};

pub async fn migrations_are_idempotent_and_concurrent_safe(db: TestDb) {
    // Several instances starting at once on an empty database.
    let connects = (0..4).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { db.builder().connect().await })
    });
    let clients: Vec<_> = futures_util::future::join_all(connects)
        .await
        .into_iter()
        .map(|r| r.unwrap().expect("concurrent migrate"))
        .collect();
    let report = clients[0].migrate().await.unwrap();
    assert!(
        report.applied.is_empty(),
        "second run applied {:?}",
        report.applied
    );
    assert_eq!(report.current, 14);
    let versions = db
        .count(&format!(
            "SELECT count(*) FROM {}",
            db.quoted("schema_migrations")
        ))
        .await;
    assert_eq!(versions, 14);
    if db.backend == Backend::Postgres {
        // Version 14: room on each page for the claim's update to stay on it (decision 0009).
        let options = db
            .texts(&format!(
                "SELECT unnest(reloptions) FROM pg_class WHERE oid = '{}'::regclass",
                db.table()
            ))
            .await;
        assert!(options.contains(&"fillfactor=40".to_owned()), "{options:?}");
    }
}

/// The table as the .NET library's EF Core migration makes it with Pomelo's MySQL provider.
#[cfg(feature = "mysql")]
const POMELO_MYSQL_DDL: &str = "
CREATE TABLE `{prefix}commands` (
    `id` char(36) COLLATE ascii_general_ci NOT NULL,
    `target` varchar(255) CHARACTER SET utf8mb4 NOT NULL,
    `name` longtext CHARACTER SET utf8mb4 NOT NULL,
    `input` longtext CHARACTER SET utf8mb4 NULL,
    `output` longtext CHARACTER SET utf8mb4 NULL,
    `scheduled_at` datetime(6) NOT NULL,
    `timeout` time(6) NOT NULL,
    `is_running` tinyint(1) NOT NULL,
    `running_at` datetime(6) NULL,
    `run_expires_at` datetime(6) NULL,
    `is_completed` tinyint(1) NOT NULL,
    `completed_at` datetime(6) NULL,
    `is_canceled` tinyint(1) NOT NULL,
    `canceled_at` datetime(6) NULL,
    `retries_left` int NOT NULL,
    `is_failed` tinyint(1) NOT NULL,
    `failed_at` datetime(6) NULL,
    CONSTRAINT `PK_{prefix}commands` PRIMARY KEY (`id`)
) CHARACTER SET=utf8mb4;
CREATE INDEX `IX_{prefix}commands_is_completed` ON `{prefix}commands` (`is_completed`);
CREATE INDEX `IX_{prefix}commands_is_failed` ON `{prefix}commands` (`is_failed`);
CREATE INDEX `IX_{prefix}commands_is_running` ON `{prefix}commands` (`is_running`);
CREATE INDEX `IX_{prefix}commands_target` ON `{prefix}commands` (`target`);
";

pub async fn existing_reference_table_is_adopted(db: TestDb) {
    let (ddl, insert) = match db.backend {
        Backend::Postgres => (
            include_str!("../../../src/store/postgres/migrations/0001_reference_schema.sql"),
            "INSERT INTO \"{prefix}commands\" (id, target, name, input, output, scheduled_at, timeout, \
             is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at, \
             retries_left, is_failed, failed_at) VALUES ('6f1c1b8e-0c3f-4a59-9d0a-2a7a3c1e5b11', 'test', \
             'simple', '{\"n\":4}', NULL, now(), interval '5 seconds', false, NULL, NULL, false, NULL, \
             false, NULL, 3, false, NULL)",
        ),
        Backend::Sqlite => (
            include_str!("../../../src/store/sqlite/migrations/0001_reference_schema.sql"),
            "INSERT INTO \"{prefix}commands\" (id, target, name, input, output, scheduled_at, timeout, \
             is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at, \
             retries_left, is_failed, failed_at) VALUES ('6f1c1b8e-0c3f-4a59-9d0a-2a7a3c1e5b11', 'test', \
             'simple', '{\"n\":4}', NULL, '2020-01-01 00:00:00+00:00', '00:00:05', 0, NULL, NULL, 0, NULL, \
             0, NULL, 3, 0, NULL)",
        ),
        #[cfg(feature = "mysql")]
        Backend::Mysql => (
            // As Pomelo's migration script makes it (indexes in statements of their own), not
            // our single-statement version 1.
            POMELO_MYSQL_DDL,
            "INSERT INTO `{prefix}commands` (id, target, name, input, output, scheduled_at, timeout, \
             is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at, \
             retries_left, is_failed, failed_at) VALUES ('6f1c1b8e-0c3f-4a59-9d0a-2a7a3c1e5b11', 'test', \
             'simple', '{\"n\":4}', NULL, UTC_TIMESTAMP(6), '00:00:05', false, NULL, NULL, false, NULL, \
             false, NULL, 3, false, NULL)",
        ),
    };
    db.exec(&ddl.replace("{prefix}", &db.prefix)).await;
    db.exec(&insert.replace("{prefix}", &db.prefix)).await;

    let client = db.builder().migrate(false).connect().await.unwrap();
    let report = client.migrate().await.unwrap();
    assert!(report.adopted_existing_table);
    assert_eq!(
        report.applied,
        vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
    assert!(client.migrate().await.unwrap().applied.is_empty());

    let probe = Probe::new();
    let orch = with_all_handlers(&db, &probe).start().await.unwrap();
    let id = "6f1c1b8e-0c3f-4a59-9d0a-2a7a3c1e5b11".parse().unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("8"));
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}
