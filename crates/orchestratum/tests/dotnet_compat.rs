//! PostgreSQL: sharing a database with the .NET library.
//!
//! A schema whose `ORCH_commands` table the .NET library's EF Core migration made (that exact
//! DDL, its `__EFMigrationsHistory`, and rows inserted the way it inserts them) is adopted as
//! version 1 and migrated without touching a reference column of an existing row. Then both
//! sides share it: rows .NET inserts (its 17 columns, JSON with PascalCase names) are run by a
//! Rust worker whose command type uses `#[serde(rename_all = "PascalCase")]`, and a .NET reader
//! sees every row the Rust side finished with the reference meanings.
//!
//! Each run uses its own schema, so the table keeps its literal .NET name `ORCH_commands`.

#[path = "support/mod.rs"]
mod support;

use std::str::FromStr;
use std::time::Duration;

use orchestratum::{Command, Context, Handler, HandlerError, HandlerResult, Orchestratum, State};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, Row};
use uuid::Uuid;

use support::{Backend, TestDb, eventually};

/// The .NET library's EF Core (Npgsql) migration for the default prefix `ORCH_`, verbatim.
const EF_CORE_DDL: &str = r#"
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

/// An insert as EF Core writes one: the 17 reference columns, nothing else.
const DOTNET_INSERT: &str = r#"
INSERT INTO "ORCH_commands" (id, target, name, input, output, scheduled_at, timeout, is_running,
    running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at,
    retries_left, is_failed, failed_at)
VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second', $7 * interval '1 second', $8,
    now() + $9 * interval '1 second', now() + $10 * interval '1 second', $11,
    now() + $12 * interval '1 second', $13, now() + $14 * interval '1 second', $15, $16,
    now() + $17 * interval '1 second')
"#;

/// Every reference column of every row, as text, to compare byte for byte.
const REFERENCE_ROWS: &str = r#"
SELECT id::text AS id,
       ROW(id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
           run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
           is_failed, failed_at)::text AS reference
FROM "ORCH_commands" ORDER BY id
"#;

/// The reference columns and their types, as EF Core made them.
const REFERENCE_COLUMNS: &[(&str, &str)] = &[
    ("id", "uuid"),
    ("target", "text"),
    ("name", "text"),
    ("input", "text"),
    ("output", "text"),
    ("scheduled_at", "timestamp with time zone"),
    ("timeout", "interval"),
    ("is_running", "boolean"),
    ("running_at", "timestamp with time zone"),
    ("run_expires_at", "timestamp with time zone"),
    ("is_completed", "boolean"),
    ("completed_at", "timestamp with time zone"),
    ("is_canceled", "boolean"),
    ("canceled_at", "timestamp with time zone"),
    ("retries_left", "integer"),
    ("is_failed", "boolean"),
    ("failed_at", "timestamp with time zone"),
];

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

/// One row as the .NET library inserts it; instants are offsets in seconds from `now()`.
struct DotnetRow {
    id: Uuid,
    input: &'static str,
    output: Option<&'static str>,
    scheduled_in: f64,
    timeout_secs: f64,
    running: Option<(f64, f64)>,
    completed_in: Option<f64>,
    canceled_in: Option<f64>,
    retries_left: i32,
    failed_in: Option<f64>,
}

impl DotnetRow {
    fn due(input: &'static str, retries_left: i32) -> Self {
        Self {
            id: Uuid::new_v4(),
            input,
            output: None,
            scheduled_in: -1.0,
            timeout_secs: 30.0,
            running: None,
            completed_in: None,
            canceled_in: None,
            retries_left,
            failed_in: None,
        }
    }

    async fn insert(&self, pool: &PgPool) {
        sqlx::query(DOTNET_INSERT)
            .bind(self.id)
            .bind("billing")
            .bind("charge_card")
            .bind(self.input)
            .bind(self.output)
            .bind(self.scheduled_in)
            .bind(self.timeout_secs)
            .bind(self.running.is_some())
            .bind(self.running.map(|(started, _)| started))
            .bind(self.running.map(|(_, expires)| expires))
            .bind(self.completed_in.is_some())
            .bind(self.completed_in)
            .bind(self.canceled_in.is_some())
            .bind(self.canceled_in)
            .bind(self.retries_left)
            .bind(self.failed_in.is_some())
            .bind(self.failed_in)
            .execute(pool)
            .await
            .expect(".NET-style insert");
    }
}

/// What a .NET reader of the reference columns sees of one row.
#[derive(Debug, PartialEq)]
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

async fn dotnet_view(pool: &PgPool, id: Uuid) -> DotnetView {
    let row = sqlx::query(
        r#"SELECT is_running, is_completed, completed_at IS NOT NULL AS completed, is_failed,
                  failed_at IS NOT NULL AS failed, is_canceled, retries_left, output
           FROM "ORCH_commands" WHERE id = $1"#,
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("read as .NET");
    DotnetView {
        is_running: row.get("is_running"),
        is_completed: row.get("is_completed"),
        completed: row.get("completed"),
        is_failed: row.get("is_failed"),
        failed: row.get("failed"),
        is_canceled: row.get("is_canceled"),
        retries_left: row.get("retries_left"),
        output: row.get("output"),
    }
}

async fn reference_rows(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(REFERENCE_ROWS)
        .fetch_all(pool)
        .await
        .expect("reference rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_made_by_the_dotnet_library_is_adopted_and_shared() {
    let db = TestDb::new(Backend::Postgres).await;
    let schema = format!("dotnet_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&mut admin)
        .await
        .unwrap();
    let options = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(options)
        .await
        .unwrap();

    // The .NET application ran `dotnet ef database update`, then used the table.
    sqlx::raw_sql(EF_CORE_DDL).execute(&pool).await.unwrap();
    let due = DotnetRow::due(r#"{"OrderId":"A-17","Amount":12.5,"Currency":"EUR"}"#, 3);
    let declined = DotnetRow::due(r#"{"OrderId":"A-18","Amount":-1.0,"Currency":"EUR"}"#, 0);
    // A .NET worker died while running this one: its lease lapsed 30 s ago.
    let lapsed = DotnetRow {
        running: Some((-60.0, -30.0)),
        ..DotnetRow::due(r#"{"OrderId":"A-19","Amount":3.0,"Currency":"USD"}"#, 2)
    };
    let later = DotnetRow {
        scheduled_in: 86_400.0,
        ..DotnetRow::due(r#"{"OrderId":"A-20","Amount":1.0,"Currency":"EUR"}"#, 3)
    };
    let done = DotnetRow {
        output: Some(r#"{"Receipt":"R-A-1"}"#),
        scheduled_in: -7200.0,
        running: Some((-7100.0, -7000.0)),
        completed_in: Some(-7050.0),
        ..DotnetRow::due(r#"{"OrderId":"A-1","Amount":9.99,"Currency":"EUR"}"#, 3)
    };
    let failed = DotnetRow {
        scheduled_in: -3600.0,
        running: Some((-3500.0, -3400.0)),
        failed_in: Some(-3450.0),
        ..DotnetRow::due(r#"{"OrderId":"A-2","Amount":-5.0,"Currency":"EUR"}"#, -1)
    };
    let canceled = DotnetRow {
        scheduled_in: -1800.0,
        canceled_in: Some(-1700.0),
        ..DotnetRow::due(r#"{"OrderId":"A-3","Amount":2.0,"Currency":"EUR"}"#, 3)
    };
    for row in [&due, &declined, &lapsed, &later, &done, &failed, &canceled] {
        row.insert(&pool).await;
    }
    let before = reference_rows(&pool).await;

    // Recognised as version 1, brought to the latest version; a second run does nothing.
    let client = Orchestratum::builder()
        .postgres_pool(pool.clone())
        .instance_key("billing")
        .migrate(false)
        .connect()
        .await
        .unwrap();
    let report = client.migrate().await.unwrap();
    assert!(report.adopted_existing_table, "{report:?}");
    assert_eq!(report.applied, vec![2, 3]);
    assert_eq!(report.current, 3);
    let again = client.migrate().await.unwrap();
    assert!(
        again.applied.is_empty() && !again.adopted_existing_table,
        "{again:?}"
    );
    assert_eq!(
        reference_rows(&pool).await,
        before,
        "migrating changed a reference column"
    );

    // The reference columns keep their types; every column we added has a default (or is
    // nullable), so the .NET library's inserts keep working; EF's own table is left alone.
    let columns: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable = 'YES', column_default IS NOT NULL
         FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'ORCH_commands' ORDER BY ordinal_position",
    )
    .bind(&schema)
    .fetch_all(&pool)
    .await
    .unwrap();
    for (name, data_type) in REFERENCE_COLUMNS {
        let column = columns.iter().find(|c| c.0 == *name);
        assert_eq!(column.map(|c| c.1.as_str()), Some(*data_type), "{name}");
    }
    for (name, _, nullable, has_default) in &columns {
        if !REFERENCE_COLUMNS.iter().any(|(r, _)| r == name) {
            assert!(
                *nullable || *has_default,
                "added column {name} has no default"
            );
        }
    }
    let ef_history: i64 = sqlx::query_scalar(r#"SELECT count(*) FROM "__EFMigrationsHistory""#)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(ef_history, 1);

    // .NET keeps inserting its 17 columns after the migration.
    let after_migration = DotnetRow::due(r#"{"OrderId":"A-21","Amount":7.25,"Currency":"EUR"}"#, 3);
    after_migration.insert(&pool).await;

    // A Rust worker with the same instance key runs what is due.
    let worker = Orchestratum::builder()
        .postgres_pool(pool.clone())
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

    // What a .NET reader sees.
    let completed = |retries_left, receipt: &str| DotnetView {
        is_running: false,
        is_completed: true,
        completed: true,
        is_failed: false,
        failed: false,
        is_canceled: false,
        retries_left,
        output: Some(format!(r#"{{"Receipt":"{receipt}"}}"#)),
    };
    assert_eq!(dotnet_view(&pool, due.id).await, completed(3, "R-A-17"));
    assert_eq!(
        dotnet_view(&pool, after_migration.id).await,
        completed(3, "R-A-21")
    );
    // Taking over the dead .NET worker's command cost it one retry.
    assert_eq!(dotnet_view(&pool, lapsed.id).await, completed(1, "R-A-19"));
    assert_eq!(dotnet_view(&pool, pushed).await, completed(3, "R-B-1"));
    assert_eq!(
        dotnet_view(&pool, declined.id).await,
        DotnetView {
            is_running: false,
            is_completed: false,
            completed: false,
            is_failed: true,
            failed: true,
            is_canceled: false,
            retries_left: -1,
            output: None,
        }
    );
    // The typed output reads back on the Rust side too.
    assert_eq!(
        worker.wait::<ChargeCardCommand>(due.id).await.unwrap(),
        orchestratum::Finished::Completed(ChargeResult {
            receipt: "R-A-17".into()
        })
    );

    // A row pushed from Rust is a complete .NET row: PascalCase input, every NOT NULL column set.
    let (input, timeout, target): (String, String, String) =
        sqlx::query_as(r#"SELECT input, timeout::text, target FROM "ORCH_commands" WHERE id = $1"#)
            .bind(pushed)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(input, r#"{"OrderId":"B-1","Amount":4.5,"Currency":"EUR"}"#);
    assert_eq!(timeout, "00:00:05");
    assert_eq!(target, "billing");

    // Finished history and the command not yet due are untouched.
    let now = reference_rows(&pool).await;
    for untouched in [done.id, failed.id, canceled.id, later.id] {
        let key = untouched.to_string();
        let find = |rows: &[(String, String)]| rows.iter().find(|r| r.0 == key).cloned();
        assert_eq!(find(&now), find(&before), "{key}");
    }
    assert_eq!(
        worker.get(later.id).await.unwrap().state(),
        State::Scheduled
    );

    worker.shutdown(Duration::from_secs(5)).await.unwrap();
    pool.close().await;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}
