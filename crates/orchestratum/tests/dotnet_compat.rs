//! Sharing a database with the .NET library, on each backend.
//!
//! A database whose `ORCH_commands` table the .NET library's EF Core migration made (that
//! provider's DDL, its `__EFMigrationsHistory`, and rows inserted the way it inserts them, with
//! ids in the provider's spelling of a `Guid`) is adopted as version 1 and migrated without
//! touching a reference column of an existing row. Then both sides share it: rows .NET inserts
//! (its 17 columns, JSON with PascalCase names) are run by a Rust worker whose command type uses
//! `#[serde(rename_all = "PascalCase")]`, and a .NET reader, querying by id as EF Core does
//! (`WHERE id = '<the provider's spelling>'`), sees every row the Rust side finished with the
//! reference meanings, and finds the rows the Rust side pushed.
//!
//! What differs between providers is data (`Provider`); the test body is one function. Each run
//! has its own schema (PostgreSQL), database file (SQLite) or database (MariaDB), so the table
//! keeps its literal .NET name `ORCH_commands`.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use orchestratum::{Command, Context, Handler, HandlerError, HandlerResult, Orchestratum, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use support::{Backend, TestDb, eventually};

/// The .NET library's EF Core migration script (Npgsql) for the default prefix `ORCH_`.
const NPGSQL_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" character varying(150) NOT NULL,
    "ProductVersion" character varying(32) NOT NULL,
    CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId")
);
START TRANSACTION;
CREATE TABLE "ORCH_commands" (
    id uuid NOT NULL,
    target text NOT NULL,
    name text NOT NULL,
    input text,
    output text,
    scheduled_at timestamp with time zone NOT NULL,
    timeout interval NOT NULL,
    is_running boolean NOT NULL,
    running_at timestamp with time zone,
    run_expires_at timestamp with time zone,
    is_completed boolean NOT NULL,
    completed_at timestamp with time zone,
    is_canceled boolean NOT NULL,
    canceled_at timestamp with time zone,
    retries_left integer NOT NULL,
    is_failed boolean NOT NULL,
    failed_at timestamp with time zone,
    CONSTRAINT "PK_ORCH_commands" PRIMARY KEY (id)
);
CREATE INDEX "IX_ORCH_commands_is_completed" ON "ORCH_commands" (is_completed);
CREATE INDEX "IX_ORCH_commands_is_failed" ON "ORCH_commands" (is_failed);
CREATE INDEX "IX_ORCH_commands_is_running" ON "ORCH_commands" (is_running);
CREATE INDEX "IX_ORCH_commands_target" ON "ORCH_commands" (target);
INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20250301120000_InitialOrchestratum', '9.0.2');
COMMIT;
"#;

/// The same migration as EF Core's SQLite provider (Microsoft.Data.Sqlite) scripts it.
const SQLITE_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" TEXT NOT NULL CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY,
    "ProductVersion" TEXT NOT NULL
);
BEGIN TRANSACTION;
CREATE TABLE "ORCH_commands" (
    "id" TEXT NOT NULL CONSTRAINT "PK_ORCH_commands" PRIMARY KEY,
    "target" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "input" TEXT NULL,
    "output" TEXT NULL,
    "scheduled_at" TEXT NOT NULL,
    "timeout" TEXT NOT NULL,
    "is_running" INTEGER NOT NULL,
    "running_at" TEXT NULL,
    "run_expires_at" TEXT NULL,
    "is_completed" INTEGER NOT NULL,
    "completed_at" TEXT NULL,
    "is_canceled" INTEGER NOT NULL,
    "canceled_at" TEXT NULL,
    "retries_left" INTEGER NOT NULL,
    "is_failed" INTEGER NOT NULL,
    "failed_at" TEXT NULL
);
CREATE INDEX "IX_ORCH_commands_is_completed" ON "ORCH_commands" ("is_completed");
CREATE INDEX "IX_ORCH_commands_is_failed" ON "ORCH_commands" ("is_failed");
CREATE INDEX "IX_ORCH_commands_is_running" ON "ORCH_commands" ("is_running");
CREATE INDEX "IX_ORCH_commands_target" ON "ORCH_commands" ("target");
INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20250301120000_InitialOrchestratum', '9.0.2');
COMMIT;
"#;

/// The same migration as Pomelo.EntityFrameworkCore.MySql scripts it: a `Guid` is `char(36)`
/// with Pomelo's default Guid collation `ascii_general_ci`.
#[cfg(feature = "mysql")]
const POMELO_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS `__EFMigrationsHistory` (
    `MigrationId` varchar(150) CHARACTER SET utf8mb4 NOT NULL,
    `ProductVersion` varchar(32) CHARACTER SET utf8mb4 NOT NULL,
    CONSTRAINT `PK___EFMigrationsHistory` PRIMARY KEY (`MigrationId`)
) CHARACTER SET=utf8mb4;
START TRANSACTION;
ALTER DATABASE CHARACTER SET utf8mb4;
CREATE TABLE `ORCH_commands` (
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
    CONSTRAINT `PK_ORCH_commands` PRIMARY KEY (`id`)
) CHARACTER SET=utf8mb4;
CREATE INDEX `IX_ORCH_commands_is_completed` ON `ORCH_commands` (`is_completed`);
CREATE INDEX `IX_ORCH_commands_is_failed` ON `ORCH_commands` (`is_failed`);
CREATE INDEX `IX_ORCH_commands_is_running` ON `ORCH_commands` (`is_running`);
CREATE INDEX `IX_ORCH_commands_target` ON `ORCH_commands` (`target`);
INSERT INTO `__EFMigrationsHistory` (`MigrationId`, `ProductVersion`)
VALUES ('20250301120000_InitialOrchestratum', '9.0.0');
COMMIT;
"#;

/// The reference columns, in the order EF Core creates them.
const REFERENCE_COLUMNS: [&str; 17] = [
    "id",
    "target",
    "name",
    "input",
    "output",
    "scheduled_at",
    "timeout",
    "is_running",
    "running_at",
    "run_expires_at",
    "is_completed",
    "completed_at",
    "is_canceled",
    "canceled_at",
    "retries_left",
    "is_failed",
    "failed_at",
];

/// What one EF Core provider makes and writes.
struct Provider {
    backend: Backend,
    /// `dotnet ef migrations script` for the default prefix.
    ddl: &'static str,
    /// The types of `REFERENCE_COLUMNS`, in that order, as `catalog` reports them.
    types: [&'static str; 17],
    /// Every column of `ORCH_commands` in order: "name type", nullable (0/1), has a default (0/1).
    catalog: &'static str,
    /// A quoted identifier.
    ident: fn(&str) -> String,
    /// A `Guid` as this provider writes it into a `Guid` column and binds it in a query.
    spell: fn(Uuid) -> String,
    /// A `DateTimeOffset` `secs` seconds from the database's now, as the provider stores one.
    instant: fn(i64) -> String,
    /// A `TimeSpan` of whole seconds.
    timespan: fn(u32) -> String,
    /// `true` and `false`.
    bools: (&'static str, &'static str),
    /// A column as SQL text that tells every value apart (NULL included), for byte comparisons.
    quote: fn(&str) -> String,
    /// Text expressions joined into one.
    concat: fn(&[String]) -> String,
    /// The `timeout` column as text, and what it reads for the 5 s default.
    default_timeout: (&'static str, &'static str),
}

fn hh_mm_ss(secs: u32) -> String {
    format!(
        "'{:02}:{:02}:{:02}'",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn join_pipes(parts: &[String]) -> String {
    parts.join(" || ',' || ")
}

const NPGSQL: Provider = Provider {
    backend: Backend::Postgres,
    ddl: NPGSQL_DDL,
    types: [
        "uuid",
        "text",
        "text",
        "text",
        "text",
        "timestamp with time zone",
        "interval",
        "boolean",
        "timestamp with time zone",
        "timestamp with time zone",
        "boolean",
        "timestamp with time zone",
        "boolean",
        "timestamp with time zone",
        "integer",
        "boolean",
        "timestamp with time zone",
    ],
    catalog: "SELECT column_name::text || ' ' || data_type::text, (is_nullable = 'YES')::int::int8,
                     (column_default IS NOT NULL)::int::int8
              FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'ORCH_commands'
              ORDER BY ordinal_position",
    ident: |name| format!("\"{name}\""),
    // Npgsql sends a uuid in binary; in SQL text PostgreSQL prints it in lower case.
    spell: |id| id.to_string(),
    instant: |secs| format!("(now() + {secs} * interval '1 second')"),
    timespan: |secs| format!("interval '{secs} seconds'"),
    bools: ("true", "false"),
    quote: |column| format!("quote_nullable({column}::text)"),
    concat: join_pipes,
    default_timeout: ("timeout::text", "00:00:05"),
};

const MICROSOFT_DATA_SQLITE: Provider = Provider {
    backend: Backend::Sqlite,
    ddl: SQLITE_DDL,
    types: [
        "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "INTEGER", "TEXT", "TEXT",
        "INTEGER", "TEXT", "INTEGER", "TEXT", "INTEGER", "INTEGER", "TEXT",
    ],
    catalog: "SELECT name || ' ' || type, \"notnull\" = 0, dflt_value IS NOT NULL
              FROM pragma_table_info('ORCH_commands') ORDER BY cid",
    ident: |name| format!("\"{name}\""),
    // Microsoft.Data.Sqlite binds a Guid as `guid.ToString().ToUpperInvariant()`.
    spell: |id| id.hyphenated().to_string().to_uppercase(),
    // `DateTimeOffset` in UTC as `yyyy-MM-dd HH:mm:ss.FFFFFFFzzz` (trailing zeros dropped).
    instant: |secs| format!("strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '{secs:+} seconds')"),
    timespan: hh_mm_ss,
    bools: ("1", "0"),
    quote: |column| format!("quote({column})"),
    concat: join_pipes,
    default_timeout: ("timeout", "00:00:05"),
};

#[cfg(feature = "mysql")]
const POMELO: Provider = Provider {
    backend: Backend::Mysql,
    ddl: POMELO_DDL,
    types: [
        "char(36) ascii_general_ci",
        "varchar(255)",
        "longtext",
        "longtext",
        "longtext",
        "datetime(6)",
        "time(6)",
        "tinyint(1)",
        "datetime(6)",
        "datetime(6)",
        "tinyint(1)",
        "datetime(6)",
        "tinyint(1)",
        "datetime(6)",
        "int",
        "tinyint(1)",
        "datetime(6)",
    ],
    // The id's collation is part of its type here: it decides how ids compare. (MariaDB shows
    // `int(11)` where MySQL 8 shows `int`.)
    catalog: "SELECT CONCAT(column_name, ' ',
                            CASE WHEN data_type = 'int' THEN 'int' ELSE column_type END,
                            CASE WHEN column_name = 'id' THEN CONCAT(' ', collation_name)
                                 ELSE '' END),
                     CAST(is_nullable = 'YES' AS SIGNED), CAST(column_default IS NOT NULL AS SIGNED)
              FROM information_schema.columns
              WHERE table_schema = DATABASE() AND table_name = 'ORCH_commands'
              ORDER BY ordinal_position",
    ident: |name| format!("`{name}`"),
    // Pomelo's default MySqlGuidFormat is Char36: `Guid.ToString("D")`, lower case.
    spell: |id| id.to_string(),
    // `DateTimeOffset` as `datetime(6)` in UTC.
    instant: |secs| format!("(UTC_TIMESTAMP(6) + INTERVAL {secs} SECOND)"),
    timespan: hh_mm_ss,
    bools: ("TRUE", "FALSE"),
    quote: |column| format!("QUOTE({column})"),
    concat: |parts| format!("CONCAT_WS(',', {})", parts.join(", ")),
    default_timeout: ("CAST(timeout AS CHAR)", "00:00:05.000000"),
};

/// One place of its own on the backend's test server, where `ORCH_commands` is free.
struct Isolated {
    /// Raw SQL on the place, as the .NET side writes and reads it.
    db: TestDb,
    /// The test server the place is on (for SQLite, it owns the file's directory).
    server: TestDb,
    /// What removes the place from the server.
    drop: Option<String>,
}

impl Isolated {
    async fn new(backend: Backend) -> Self {
        let server = TestDb::new(backend).await;
        let name = format!("dotnet_{}", &Uuid::new_v4().simple().to_string()[..12]);
        let (url, drop) = match backend {
            Backend::Postgres => {
                server.exec(&format!("CREATE SCHEMA \"{name}\"")).await;
                let joint = if server.url.contains('?') { '&' } else { '?' };
                (
                    format!("{}{joint}options=-c%20search_path%3D{name}", server.url),
                    Some(format!("DROP SCHEMA \"{name}\" CASCADE")),
                )
            }
            // A fresh file in a directory of its own.
            Backend::Sqlite => (server.url.clone(), None),
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                server.exec(&format!("CREATE DATABASE `{name}`")).await;
                let (base, rest) = server.url.rsplit_once('/').expect("url with a database");
                let query = rest.split_once('?').map(|(_, q)| format!("?{q}"));
                (
                    format!("{base}/{name}{}", query.unwrap_or_default()),
                    Some(format!("DROP DATABASE `{name}`")),
                )
            }
        };
        Self {
            db: TestDb::at(backend, &url),
            server,
            drop,
        }
    }

    async fn remove(self) {
        if let Some(sql) = &self.drop {
            self.server.exec(sql).await;
        }
    }
}

/// The .NET side's `ChargeCardCommand` input, with the property names .NET serializes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChargeCardCommand {
    order_id: String,
    amount: f64,
    currency: String,
}

/// The .NET side's `ChargeResult` output.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct ChargeResult {
    receipt: String,
}

impl Command for ChargeCardCommand {
    type Output = ChargeResult;
}

struct ChargeCardHandler;

impl Handler for ChargeCardHandler {
    type Command = ChargeCardCommand;
    async fn execute(&self, cmd: ChargeCardCommand, _: Context) -> HandlerResult<ChargeResult> {
        if cmd.amount < 0.0 {
            return Err(HandlerError::fail(format!(
                "declined: {} {}",
                cmd.amount, cmd.currency
            )));
        }
        Ok(ChargeResult {
            receipt: format!("R-{}", cmd.order_id),
        })
    }
}

/// One row as the .NET library inserts it; instants are offsets in whole seconds from now.
struct DotnetRow {
    id: Uuid,
    input: &'static str,
    output: Option<&'static str>,
    scheduled_in: i64,
    timeout_secs: u32,
    running: Option<(i64, i64)>,
    completed_in: Option<i64>,
    canceled_in: Option<i64>,
    retries_left: i32,
    failed_in: Option<i64>,
}

impl DotnetRow {
    fn due(input: &'static str, retries_left: i32) -> Self {
        Self {
            id: Uuid::new_v4(),
            input,
            output: None,
            scheduled_in: -1,
            timeout_secs: 30,
            running: None,
            completed_in: None,
            canceled_in: None,
            retries_left,
            failed_in: None,
        }
    }

    /// The 17 reference columns, nothing else, as EF Core writes them.
    async fn insert(&self, p: &Provider, db: &TestDb) {
        let at = |secs: Option<i64>| secs.map_or_else(|| "NULL".to_owned(), p.instant);
        let flag = |on: bool| if on { p.bools.0 } else { p.bools.1 };
        let text =
            |value: Option<&str>| value.map_or_else(|| "NULL".to_owned(), |v| format!("'{v}'"));
        let values = [
            format!("'{}'", (p.spell)(self.id)),
            "'billing'".into(),
            "'charge_card'".into(),
            text(Some(self.input)),
            text(self.output),
            (p.instant)(self.scheduled_in),
            (p.timespan)(self.timeout_secs),
            flag(self.running.is_some()).into(),
            at(self.running.map(|(started, _)| started)),
            at(self.running.map(|(_, expires)| expires)),
            flag(self.completed_in.is_some()).into(),
            at(self.completed_in),
            flag(self.canceled_in.is_some()).into(),
            at(self.canceled_in),
            self.retries_left.to_string(),
            flag(self.failed_in.is_some()).into(),
            at(self.failed_in),
        ];
        let columns: Vec<String> = REFERENCE_COLUMNS.iter().map(|c| (p.ident)(c)).collect();
        db.exec(&format!(
            "INSERT INTO {} ({}) VALUES ({})",
            (p.ident)("ORCH_commands"),
            columns.join(", "),
            values.join(", ")
        ))
        .await;
    }
}

/// What a .NET reader of the reference columns expects of one row.
#[derive(Debug)]
struct DotnetView {
    is_running: bool,
    is_completed: bool,
    completed: bool,
    is_failed: bool,
    failed: bool,
    is_canceled: bool,
    retries_left: i32,
    output: Option<String>,
}

impl DotnetView {
    fn completed(retries_left: i32, receipt: &str) -> Self {
        Self {
            is_running: false,
            is_completed: true,
            completed: true,
            is_failed: false,
            failed: false,
            is_canceled: false,
            retries_left,
            output: Some(format!(r#"{{"Receipt":"{receipt}"}}"#)),
        }
    }

    /// This view as a condition on the reference columns.
    fn condition(&self) -> String {
        let flag = |column: &str, on: bool| {
            if on {
                column.to_owned()
            } else {
                format!("NOT {column}")
            }
        };
        let set =
            |column: &str, on: bool| format!("{column} IS {}NULL", if on { "NOT " } else { "" });
        [
            flag("is_running", self.is_running),
            flag("is_completed", self.is_completed),
            set("completed_at", self.completed),
            flag("is_failed", self.is_failed),
            set("failed_at", self.failed),
            flag("is_canceled", self.is_canceled),
            format!("retries_left = {}", self.retries_left),
            self.output
                .as_ref()
                .map_or_else(|| "output IS NULL".into(), |o| format!("output = '{o}'")),
        ]
        .join(" AND ")
    }
}

/// Counts the rows a .NET reader finds by `id`, as EF Core queries it, under `condition`.
async fn found_by_id(p: &Provider, db: &TestDb, id: Uuid, condition: &str) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM {} WHERE id = '{}' AND {condition}",
        (p.ident)("ORCH_commands"),
        (p.spell)(id)
    ))
    .await
}

/// Asserts what a .NET reader sees of one row.
async fn assert_view(p: &Provider, db: &TestDb, id: Uuid, view: DotnetView) {
    assert_eq!(found_by_id(p, db, id, "1 = 1").await, 1, "{id} by id");
    assert_eq!(
        found_by_id(p, db, id, &view.condition()).await,
        1,
        "{id}: expected {view:?}"
    );
}

/// Every reference column of every row as text, to compare byte for byte.
async fn reference_rows(p: &Provider, db: &TestDb) -> Vec<String> {
    let columns: Vec<String> = REFERENCE_COLUMNS.iter().map(|c| (p.quote)(c)).collect();
    db.texts(&format!(
        "SELECT {} FROM {} ORDER BY id",
        (p.concat)(&columns),
        (p.ident)("ORCH_commands")
    ))
    .await
}

async fn table_made_by_the_dotnet_library_is_adopted_and_shared(p: &Provider) {
    let place = Isolated::new(p.backend).await;
    let db = &place.db;

    // The .NET application ran `dotnet ef database update`, then used the table.
    db.exec(p.ddl).await;
    let due = DotnetRow::due(r#"{"OrderId":"A-17","Amount":12.5,"Currency":"EUR"}"#, 3);
    let declined = DotnetRow::due(r#"{"OrderId":"A-18","Amount":-1.0,"Currency":"EUR"}"#, 0);
    // A .NET worker died while running this one: its lease lapsed 30 s ago.
    let lapsed = DotnetRow {
        running: Some((-60, -30)),
        ..DotnetRow::due(r#"{"OrderId":"A-19","Amount":3.0,"Currency":"USD"}"#, 2)
    };
    let later = DotnetRow {
        scheduled_in: 86_400,
        ..DotnetRow::due(r#"{"OrderId":"A-20","Amount":1.0,"Currency":"EUR"}"#, 3)
    };
    let done = DotnetRow {
        output: Some(r#"{"Receipt":"R-A-1"}"#),
        scheduled_in: -7200,
        running: Some((-7100, -7000)),
        completed_in: Some(-7050),
        ..DotnetRow::due(r#"{"OrderId":"A-1","Amount":9.99,"Currency":"EUR"}"#, 3)
    };
    let failed = DotnetRow {
        scheduled_in: -3600,
        running: Some((-3500, -3400)),
        failed_in: Some(-3450),
        ..DotnetRow::due(r#"{"OrderId":"A-2","Amount":-5.0,"Currency":"EUR"}"#, -1)
    };
    let canceled = DotnetRow {
        scheduled_in: -1800,
        canceled_in: Some(-1700),
        ..DotnetRow::due(r#"{"OrderId":"A-3","Amount":2.0,"Currency":"EUR"}"#, 3)
    };
    for row in [&due, &declined, &lapsed, &later, &done, &failed, &canceled] {
        row.insert(p, db).await;
    }
    let before = reference_rows(p, db).await;

    // Recognised as version 1, brought to the latest version; a second run does nothing.
    let client = Orchestratum::builder()
        .database(&db.url)
        .instance_key("billing")
        .migrate(false)
        .connect()
        .await
        .unwrap();
    let report = client.migrate().await.unwrap();
    assert!(report.adopted_existing_table, "{report:?}");
    assert_eq!(
        report.applied,
        vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
    assert_eq!(report.current, 14);
    let again = client.migrate().await.unwrap();
    assert!(
        again.applied.is_empty() && !again.adopted_existing_table,
        "{again:?}"
    );
    assert_eq!(
        reference_rows(p, db).await,
        before,
        "migrating changed a reference column"
    );

    // The reference columns keep their types; every column we added has a default (or is
    // nullable), so the .NET library's inserts keep working; EF's own table is left alone.
    let columns = db.triples(p.catalog).await;
    for (name, data_type) in REFERENCE_COLUMNS.iter().zip(p.types) {
        let expected = format!("{name} {data_type}");
        assert!(
            columns.iter().any(|c| c.0 == expected),
            "{expected} not in {columns:?}"
        );
    }
    for (column, nullable, has_default) in &columns {
        let name = column.split(' ').next().unwrap_or_default();
        if !REFERENCE_COLUMNS.contains(&name) {
            assert!(
                *nullable == 1 || *has_default == 1,
                "added column {column} has no default"
            );
        }
    }
    let history = format!(
        "SELECT count(*) FROM {}",
        (p.ident)("__EFMigrationsHistory")
    );
    assert_eq!(db.count(&history).await, 1);

    // .NET keeps inserting its 17 columns after the migration.
    let after_migration = DotnetRow::due(r#"{"OrderId":"A-21","Amount":7.25,"Currency":"EUR"}"#, 3);
    after_migration.insert(p, db).await;

    // A Rust worker with the same instance key runs what is due.
    let worker = Orchestratum::builder()
        .database(&db.url)
        .instance_key("billing")
        .handler(ChargeCardHandler)
        .start()
        .await
        .unwrap();
    let pushed = worker
        .push(ChargeCardCommand {
            order_id: "B-1".into(),
            amount: 4.5,
            currency: "EUR".into(),
        })
        .await
        .unwrap();
    let runs = [due.id, declined.id, lapsed.id, after_migration.id, pushed];
    eventually("the due rows to finish", Duration::from_secs(20), || {
        let worker = &worker;
        async move {
            for id in runs {
                if !worker.get(id).await.unwrap().state().is_terminal() {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;

    // What a .NET reader sees, finding each row by its id as EF Core spells it.
    assert_view(p, db, due.id, DotnetView::completed(3, "R-A-17")).await;
    assert_view(
        p,
        db,
        after_migration.id,
        DotnetView::completed(3, "R-A-21"),
    )
    .await;
    // Taking over the dead .NET worker's command cost it one retry.
    assert_view(p, db, lapsed.id, DotnetView::completed(1, "R-A-19")).await;
    assert_view(p, db, pushed, DotnetView::completed(3, "R-B-1")).await;
    let declined_view = DotnetView {
        is_running: false,
        is_completed: false,
        completed: false,
        is_failed: true,
        failed: true,
        is_canceled: false,
        retries_left: -1,
        output: None,
    };
    assert_view(p, db, declined.id, declined_view).await;
    // The typed output reads back on the Rust side too.
    assert_eq!(
        worker.wait::<ChargeCardCommand>(due.id).await.unwrap(),
        orchestratum::Finished::Completed(ChargeResult {
            receipt: "R-A-17".into()
        })
    );

    // A row pushed from Rust is a complete .NET row: PascalCase input, every NOT NULL column set.
    let (timeout, expected_timeout) = p.default_timeout;
    let complete = format!(
        "input = '{{\"OrderId\":\"B-1\",\"Amount\":4.5,\"Currency\":\"EUR\"}}' \
         AND {timeout} = '{expected_timeout}' AND target = 'billing' AND name = 'charge_card'"
    );
    assert_eq!(found_by_id(p, db, pushed, &complete).await, 1);

    // Finished history and the command not yet due are untouched.
    let now = reference_rows(p, db).await;
    for untouched in [done.id, failed.id, canceled.id, later.id] {
        let key = format!("'{}'", (p.spell)(untouched));
        let find = |rows: &[String]| rows.iter().find(|r| r.starts_with(&key)).cloned();
        assert!(find(&before).is_some(), "{key} not in {before:?}");
        assert_eq!(find(&now), find(&before), "{key}");
    }
    assert_eq!(
        worker.get(later.id).await.unwrap().state(),
        State::Scheduled
    );

    worker.shutdown(Duration::from_secs(5)).await.unwrap();
    drop(client);
    place.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_table_made_by_the_dotnet_library_is_adopted_and_shared() {
    table_made_by_the_dotnet_library_is_adopted_and_shared(&NPGSQL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_table_made_by_the_dotnet_library_is_adopted_and_shared() {
    table_made_by_the_dotnet_library_is_adopted_and_shared(&MICROSOFT_DATA_SQLITE).await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_table_made_by_the_dotnet_library_is_adopted_and_shared() {
    table_made_by_the_dotnet_library_is_adopted_and_shared(&POMELO).await;
}
