//! The database under test: a client on a fresh table prefix, the server's settings, the
//! fixture statements a benchmark needs (filling a big table), and clean-up.

use orchestratum::store::Store;
use orchestratum::{Client, Orchestratum};
use sqlx::{AssertSqlSafe, Connection};

use crate::cli::BoxError;

/// Instance key of every benchmark worker.
pub const KEY: &str = "bench";

pub struct Target {
    pub url: String,
    pub prefix: String,
    pub client: Client,
}

impl Target {
    pub async fn connect(url: &str) -> Result<Self, BoxError> {
        let prefix = format!("bench{}_", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let client = Orchestratum::builder()
            .database(url)
            .table_prefix(&prefix)
            .instance_key(KEY)
            .connect()
            .await?;
        Ok(Self {
            url: url.into(),
            prefix,
            client,
        })
    }

    /// Server version and durability settings, printed with every result.
    pub async fn settings(&self) -> Result<String, BoxError> {
        Ok(match self.client.store() {
            Store::Postgres(pg) => {
                let row: (String, String) =
                    sqlx::query_as("SELECT current_setting('server_version'), current_setting('synchronous_commit')")
                        .fetch_one(pg.pool())
                        .await?;
                format!("PostgreSQL {}, synchronous_commit={}", row.0, row.1)
            }
            Store::Sqlite(sqlite) => {
                let version: String = sqlx::query_scalar("SELECT sqlite_version()")
                    .fetch_one(sqlite.pool())
                    .await?;
                format!("SQLite {version}, WAL, synchronous=FULL")
            }
            Store::MySql(mysql) => {
                let row: (String, i64) = sqlx::query_as(
                    "SELECT VERSION(), CAST(@@innodb_flush_log_at_trx_commit AS SIGNED)",
                )
                .fetch_one(mysql.pool())
                .await?;
                format!(
                    "MySQL/MariaDB {}, innodb_flush_log_at_trx_commit={}",
                    row.0, row.1
                )
            }
            _ => "unknown backend".into(),
        })
    }

    /// Inserts `rows` finished commands, as a long-lived table would hold (fixture SQL: the
    /// library has no statement for bulk-faking history).
    pub async fn fill_finished(&self, rows: u64) -> Result<(), BoxError> {
        let table = format!("\"{}commands\"", self.prefix);
        match self.client.store() {
            Store::Postgres(pg) => {
                let sql = format!(
                    "INSERT INTO {table} (id, target, name, input, output, scheduled_at, timeout, is_running, \
                     is_completed, completed_at, is_canceled, retries_left, is_failed, attempt) \
                     SELECT gen_random_uuid(), '{KEY}', 'noop', 'null', 'null', now() - interval '1 day', \
                     interval '5 seconds', false, true, now() - interval '1 day', false, 3, false, 1 \
                     FROM generate_series(1, {rows})"
                );
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(pg.pool()).await?;
                sqlx::raw_sql(AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
                    .execute(pg.pool())
                    .await?;
            }
            Store::Sqlite(sqlite) => {
                let sql = format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
                     INSERT INTO {table} (id, target, name, input, output, scheduled_at, timeout, is_running, \
                     is_completed, completed_at, is_canceled, retries_left, is_failed, attempt) \
                     SELECT lower(hex(randomblob(16))), '{KEY}', 'noop', 'null', 'null', \
                     strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-1 day'), '00:00:05', 0, 1, \
                     strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-1 day'), 0, 3, 0, 1 FROM n"
                );
                sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(sqlite.pool())
                    .await?;
                sqlx::raw_sql(AssertSqlSafe(format!("ANALYZE {table}")))
                    .execute(sqlite.pool())
                    .await?;
            }
            Store::MySql(mysql) => {
                // Rows from a cross join of digits: MySQL caps recursive CTEs at 1,000 levels.
                let table = format!("`{}commands`", self.prefix);
                let digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL \
                              SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL \
                              SELECT 8 UNION ALL SELECT 9)";
                let sql = format!(
                    "INSERT INTO {table} (id, target, name, input, output, scheduled_at, timeout, is_running, \
                     is_completed, completed_at, is_canceled, retries_left, is_failed, attempt) \
                     SELECT UUID(), '{KEY}', 'noop', 'null', 'null', UTC_TIMESTAMP(6) - INTERVAL 1 DAY, \
                     '00:00:05', 0, 1, UTC_TIMESTAMP(6) - INTERVAL 1 DAY, 0, 3, 0, 1 \
                     FROM {digits} a, {digits} b, {digits} c, {digits} d, {digits} e, {digits} f LIMIT {rows}"
                );
                sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(mysql.pool())
                    .await?;
                sqlx::raw_sql(AssertSqlSafe(format!("ANALYZE TABLE {table}")))
                    .execute(mysql.pool())
                    .await?;
            }
            _ => return Err("big-table fixture not written for this backend".into()),
        }
        Ok(())
    }

    /// Refreshes the planner's statistics, as autovacuum does for any table that lives longer
    /// than a benchmark (migration 3 makes it do so after 1 % of the rows changed).
    pub async fn analyze(&self) -> Result<(), BoxError> {
        let sql = format!("ANALYZE \"{}commands\"", self.prefix);
        match self.client.store() {
            Store::Postgres(pg) => sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(pg.pool())
                .await
                .map(|_| ())?,
            Store::Sqlite(sqlite) => sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(sqlite.pool())
                .await
                .map(|_| ())?,
            _ => {}
        }
        Ok(())
    }

    /// Seconds from the first claim to the last completion of commands named `name`, by the
    /// database clock, and how many completed.
    pub async fn span(&self, name: &str) -> Result<(f64, i64), BoxError> {
        let table = format!("\"{}commands\"", self.prefix);
        let (secs, count): (Option<f64>, i64) = match self.client.store() {
            Store::Postgres(pg) => {
                let sql = format!(
                    "SELECT EXTRACT(EPOCH FROM max(completed_at) - min(running_at))::float8, count(*) \
                     FROM {table} WHERE name = $1 AND is_completed AND completed_at > now() - interval '1 hour'"
                );
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(name)
                    .fetch_one(pg.pool())
                    .await?
            }
            Store::Sqlite(sqlite) => {
                let sql = format!(
                    "SELECT (julianday(max(completed_at)) - julianday(min(running_at))) * 86400.0, count(*) \
                     FROM {table} WHERE name = ?1 AND is_completed AND completed_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-1 hour')"
                );
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(name)
                    .fetch_one(sqlite.pool())
                    .await?
            }
            Store::MySql(mysql) => {
                let sql = format!(
                    "SELECT CAST(TIMESTAMPDIFF(MICROSECOND, min(running_at), max(completed_at)) AS DOUBLE) / 1e6, \
                     CAST(count(*) AS SIGNED) FROM `{}commands` WHERE name = ? AND is_completed = 1 \
                     AND completed_at > UTC_TIMESTAMP(6) - INTERVAL 1 HOUR",
                    self.prefix
                );
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(name)
                    .fetch_one(mysql.pool())
                    .await?
            }
            _ => return Err("span not written for this backend".into()),
        };
        Ok((secs.unwrap_or(0.0), count))
    }

    /// Completed commands named `name`.
    pub async fn completed(&self, name: &str) -> Result<i64, BoxError> {
        Ok(self.span(name).await?.1)
    }

    /// Drops the benchmark's tables.
    pub async fn cleanup(&self) {
        let sql = format!(
            "DROP TABLE IF EXISTS \"{p}stats\"; DROP TABLE IF EXISTS \"{p}workflow_edges\"; DROP TABLE IF EXISTS \"{p}workflow_steps\"; \
             DROP TABLE IF EXISTS \"{p}schedules\"; \
             DROP TABLE IF EXISTS \"{p}attempts\"; DROP TABLE IF EXISTS \"{p}workers\"; \
             DROP TABLE IF EXISTS \"{p}controls\"; DROP TABLE IF EXISTS \"{p}commands\"; \
             DROP TABLE IF EXISTS \"{p}schema_migrations\";",
            p = self.prefix
        );
        let result = match self.client.store() {
            Store::Postgres(_) => match sqlx::PgConnection::connect(&self.url).await {
                Ok(mut c) => sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            },
            Store::Sqlite(_) => match sqlx::SqliteConnection::connect(&self.url).await {
                Ok(mut c) => sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            },
            Store::MySql(_) => match sqlx::MySqlConnection::connect(&self.url.replacen(
                "mariadb://",
                "mysql://",
                1,
            ))
            .await
            {
                Ok(mut c) => {
                    let sql = format!(
                        "DROP TABLE IF EXISTS `{p}stats`; DROP TABLE IF EXISTS `{p}workflow_edges`; DROP TABLE IF EXISTS `{p}workflow_steps`; \
                         DROP TABLE IF EXISTS `{p}schedules`; \
                         DROP TABLE IF EXISTS `{p}attempts`; DROP TABLE IF EXISTS `{p}workers`; \
                         DROP TABLE IF EXISTS `{p}controls`; DROP TABLE IF EXISTS `{p}commands`; \
                         DROP TABLE IF EXISTS `{p}schema_migrations`;",
                        p = self.prefix
                    );
                    sqlx::raw_sql(AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e),
            },
            _ => Ok(()),
        };
        if let Err(e) = result {
            eprintln!("clean-up failed: {e}");
        }
    }
}
