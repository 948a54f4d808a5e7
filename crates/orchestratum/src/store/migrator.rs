//! The migration steps every backend shares: apply what is pending, report the status, undo
//! versions newest first. Each backend brings its own lock and transaction (an advisory lock in
//! a transaction on PostgreSQL, `BEGIN IMMEDIATE` on SQLite, `GET_LOCK` on a connection of its
//! own on MySQL, where DDL cannot be rolled back) and runs these on that connection.

use sqlx::database::HasStatementCache;
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Database, Encode, Executor, IntoArguments, SqlStr, Type};

use super::admin::{self as seam, DowngradeParams, DowngradeReport, MigrationStatus};
use super::rows::{self, Columns};
use super::{PlannedMigration, TablePrefix};
use crate::error::{Error, Result};
use crate::migrate::{self, DownMigration, Migration, MigrationReport};

/// The bookkeeping statements of one backend, rendered for one prefix. Every count they
/// return is a 64-bit integer, so one reader serves all backends.
pub(crate) struct MigrationSql<'a> {
    pub create_table: &'a SqlStr,
    pub table_exists: &'a SqlStr,
    pub applied: &'a SqlStr,
    pub history: &'a SqlStr,
    pub commands_table_exists: &'a SqlStr,
    pub record: &'a SqlStr,
    pub delete: &'a SqlStr,
    pub live_leases: &'a SqlStr,
    /// Whether the driver may keep them as named prepared statements (not behind a
    /// transaction-mode pooler).
    pub named: bool,
}

impl MigrationSql<'_> {
    /// One of these statements, named or not as `named` says.
    fn query<'q, DB: Database + HasStatementCache>(
        &self,
        statement: &SqlStr,
    ) -> Query<'q, DB, DB::Arguments> {
        sqlx::query::<DB>(statement.clone()).persistent(self.named)
    }
}

/// The [`MigrationSql`] of a backend's `Statements`.
macro_rules! migration_sql {
    ($sql:expr) => {
        crate::store::migrator::migration_sql!($sql, true)
    };
    ($sql:expr, $named:expr) => {
        crate::store::migrator::MigrationSql {
            create_table: &$sql.migrations_table,
            table_exists: &$sql.migrations_table_exists,
            applied: &$sql.applied_migrations,
            history: &$sql.migration_history,
            commands_table_exists: &$sql.commands_table_exists,
            record: &$sql.record_migration,
            delete: &$sql.delete_migration,
            live_leases: &$sql.live_leases,
            named: $named,
        }
    };
}
pub(crate) use migration_sql;

/// One backend's migrations and how to undo them.
#[derive(Clone, Copy)]
pub(crate) struct Schema<'a> {
    pub prefix: &'a TablePrefix,
    pub up: &'a [Migration],
    pub down: &'a [DownMigration],
}

/// Applies the pending migrations on `conn`, which holds the backend's migration lock.
pub(crate) async fn apply_pending<DB>(
    conn: &mut DB::Connection,
    sql: MigrationSql<'_>,
    schema: Schema<'_>,
) -> Result<MigrationReport>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB>,
    for<'q> &'q str: Type<DB> + Encode<'q, DB>,
    DB::Row: Columns,
{
    sql.query::<DB>(sql.create_table)
        .execute(&mut *conn)
        .await?;
    let mut applied = versions::<DB>(conn, &sql, sql.applied).await?;
    let mut report = MigrationReport {
        applied: Vec::new(),
        adopted_existing_table: false,
        current: 0,
    };
    // A commands table without our bookkeeping is the .NET library's: version 1 as it stands.
    if applied.is_empty() && count::<DB>(conn, &sql, sql.commands_table_exists).await? > 0 {
        record::<DB>(conn, &sql, sql.record, &schema.up[0]).await?;
        applied.push(1);
        report.adopted_existing_table = true;
    }
    let known = migrate::latest(schema.up);
    if let Some(&found) = applied.iter().max().filter(|&&v| v > known) {
        return Err(Error::SchemaTooNew { found, known });
    }
    for m in schema.up.iter().filter(|m| !applied.contains(&m.version)) {
        sqlx::raw_sql(AssertSqlSafe(schema.prefix.render(m.sql)))
            .execute(&mut *conn)
            .await
            .map_err(|source| Error::Migration {
                version: m.version,
                description: m.description,
                source,
            })?;
        record::<DB>(conn, &sql, sql.record, m).await?;
        report.applied.push(m.version);
    }
    report.current = known;
    Ok(report)
}

/// What is applied and what is pending, read on `conn`.
pub(crate) async fn status<DB>(
    conn: &mut DB::Connection,
    sql: MigrationSql<'_>,
    schema: Schema<'_>,
) -> Result<MigrationStatus>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    DB::Row: Columns,
{
    let applied = if count::<DB>(conn, &sql, sql.table_exists).await? > 0 {
        let history = sql.query::<DB>(sql.history).fetch_all(&mut *conn).await?;
        rows::all(&history, rows::applied_migration)?
    } else {
        Vec::new()
    };
    let unrecorded_reference_table =
        applied.is_empty() && count::<DB>(conn, &sql, sql.commands_table_exists).await? > 0;
    let pending = schema
        .up
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .filter(|m| !(unrecorded_reference_table && m.version == 1))
        .map(|m| PlannedMigration {
            version: m.version,
            description: m.description,
            sql: schema.prefix.render(m.sql),
        })
        .collect();
    Ok(MigrationStatus {
        applied,
        pending,
        unrecorded_reference_table,
        latest: migrate::latest(schema.up),
    })
}

/// Undoes versions newest first on `conn`, which holds the migration lock, forgetting each
/// right after. The caller commits, or rolls back when the report is a dry run or empty.
pub(crate) async fn revert<DB>(
    conn: &mut DB::Connection,
    sql: MigrationSql<'_>,
    schema: Schema<'_>,
    params: DowngradeParams,
) -> Result<DowngradeReport>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB>,
    DB::Row: Columns,
{
    let applied = if count::<DB>(conn, &sql, sql.table_exists).await? > 0 {
        versions::<DB>(conn, &sql, sql.applied).await?
    } else {
        Vec::new()
    };
    let from = applied.iter().copied().max().unwrap_or(0);
    let latest = migrate::latest(schema.up);
    let plan = seam::plan_downgrade(params, &applied, latest, schema.down, schema.up)?;
    if !plan.is_empty() && !params.force {
        let live = count::<DB>(conn, &sql, sql.live_leases).await?;
        if live > 0 {
            return Err(seam::live_leases_refusal(params.to, from, live));
        }
    }
    let mut reverted = Vec::with_capacity(plan.len());
    for (step, description) in plan {
        let text = schema.prefix.render(step.sql);
        if !params.dry_run {
            sqlx::raw_sql(AssertSqlSafe(text.clone()))
                .execute(&mut *conn)
                .await
                .map_err(|source| Error::Migration {
                    version: step.version,
                    description,
                    source,
                })?;
            sql.query::<DB>(sql.delete)
                .bind(step.version)
                .execute(&mut *conn)
                .await?;
        }
        reverted.push(PlannedMigration {
            version: step.version,
            description,
            sql: text,
        });
    }
    let current = if params.dry_run || reverted.is_empty() {
        from
    } else {
        params.to.min(from)
    };
    Ok(DowngradeReport {
        reverted,
        from,
        current,
        dry_run: params.dry_run,
    })
}

/// Whether a revert's transaction (where the backend has one) should be kept.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub(crate) fn keeps(report: &DowngradeReport) -> bool {
    !report.dry_run && !report.reverted.is_empty()
}

/// The `n` a counting statement returns.
async fn count<DB>(
    conn: &mut DB::Connection,
    sql: &MigrationSql<'_>,
    statement: &SqlStr,
) -> Result<i64>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    DB::Row: Columns,
{
    let row = sql.query::<DB>(statement).fetch_one(&mut *conn).await?;
    row.big("n")
}

/// The recorded versions, in order.
async fn versions<DB>(
    conn: &mut DB::Connection,
    sql: &MigrationSql<'_>,
    statement: &SqlStr,
) -> Result<Vec<i64>>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    DB::Row: Columns,
{
    let found = sql.query::<DB>(statement).fetch_all(&mut *conn).await?;
    found.iter().map(|r| r.big("version")).collect()
}

async fn record<DB>(
    conn: &mut DB::Connection,
    sql: &MigrationSql<'_>,
    statement: &SqlStr,
    m: &Migration,
) -> Result<()>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB>,
    for<'q> &'q str: Type<DB> + Encode<'q, DB>,
{
    sql.query::<DB>(statement)
        .bind(m.version)
        .bind(m.description)
        .execute(conn)
        .await?;
    Ok(())
}
