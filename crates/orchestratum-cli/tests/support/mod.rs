//! Helpers for the CLI tests: one database per test (its own table prefix on the shared
//! PostgreSQL or MySQL/MariaDB database, or its own SQLite file), the built binary, and
//! snapshots of the test's tables to prove that a refused command changed nothing.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Connection};
use uuid::Uuid;

/// Default server for PostgreSQL tests; override with `ORCH_TEST_POSTGRES_URL`.
const POSTGRES_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/orchestratum_test";
/// Default server for MySQL/MariaDB tests; override with `ORCH_TEST_MYSQL_URL`.
#[cfg(feature = "mysql")]
const MYSQL_URL_DEFAULT: &str = "mysql://root@127.0.0.1:3306/orchestratum_test";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
    #[cfg(feature = "mysql")]
    Mysql,
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Self {
            code: out.status.code().expect("exited, not killed by a signal"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stderr.is_empty(), "stderr: {}", self.stderr);
        &self.stdout
    }

    /// Stdout parsed as JSON (asserting success).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// Asserts a failure with `code`: nothing on stdout, one line on stderr containing `needle`,
    /// and no panic.
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "stderr: {:?}", self.stderr);
        assert!(
            self.stderr.starts_with("error: "),
            "stderr: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "stderr: {}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "stderr {:?} lacks {needle:?}",
            self.stderr
        );
    }
}

/// Runs the built `orchestratum` binary with `args`, with no `DATABASE_URL` inherited.
pub fn orchestratum(args: &[&str]) -> Run {
    Run::from(
        Command::new(env!("CARGO_BIN_EXE_orchestratum"))
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .expect("run orchestratum"),
    )
}

/// One test's own database.
#[derive(Clone)]
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub prefix: String,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let prefix = format!("cli{}_", &Uuid::new_v4().simple().to_string()[..12]);
        match backend {
            Backend::Postgres => {
                let url = std::env::var("ORCH_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| POSTGRES_URL_DEFAULT.into());
                ensure_postgres_database(&url).await;
                Self {
                    backend,
                    url,
                    prefix,
                    _dir: None,
                }
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let url = std::env::var("ORCH_TEST_MYSQL_URL")
                    .unwrap_or_else(|_| MYSQL_URL_DEFAULT.into());
                ensure_mysql_database(&url).await;
                Self {
                    backend,
                    url,
                    prefix,
                    _dir: None,
                }
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("orch.db").display());
                Self {
                    backend,
                    url,
                    prefix,
                    _dir: Some(Arc::new(dir)),
                }
            }
        }
    }

    /// Runs the binary on this database and prefix.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["--database-url", &self.url, "--table-prefix", &self.prefix];
        all.extend_from_slice(args);
        orchestratum(&all)
    }

    /// Runs the binary with `--json` on this database and prefix, asserting success.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(&all).json()
    }

    /// This test's commands table, quoted for this backend's SQL.
    pub fn table(&self) -> String {
        self.quoted("commands")
    }

    /// This test's table `name` (with its prefix), quoted for this backend's SQL.
    pub fn quoted(&self, name: &str) -> String {
        match self.backend {
            #[cfg(feature = "mysql")]
            Backend::Mysql => format!("`{}{name}`", self.prefix),
            Backend::Postgres | Backend::Sqlite => format!("\"{}{name}\"", self.prefix),
        }
    }

    /// Runs fixture SQL: `{t}` is this test's commands table.
    pub async fn exec(&self, sql: &str) {
        let sql = sql.replace("{t}", &self.table());
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut c)
                    .await
                    .expect(&sql);
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut c)
                    .await
                    .expect(&sql);
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut c)
                    .await
                    .expect(&sql);
            }
        }
    }

    /// Runs a query returning one text value (NULL as "").
    pub async fn text(&self, sql: &str) -> String {
        let sql = sql
            .replace("{t}", &self.table())
            .replace("{p}", &self.prefix);
        let value: Option<String> = match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.clone()))
                    .fetch_one(&mut c)
                    .await
                    .expect(&sql)
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.clone()))
                    .fetch_one(&mut c)
                    .await
                    .expect(&sql)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .expect("connect");
                // GROUP_CONCAT cuts its result at this many bytes (1 KiB by default on MySQL 8).
                sqlx::raw_sql("SET SESSION group_concat_max_len = 16777216")
                    .execute(&mut c)
                    .await
                    .expect("raise group_concat_max_len");
                sqlx::query_scalar(AssertSqlSafe(sql.clone()))
                    .fetch_one(&mut c)
                    .await
                    .expect(&sql)
            }
        };
        value.unwrap_or_default()
    }

    /// Every row of this test's two tables, and which tables exist, as one text: equal
    /// snapshots mean nothing changed.
    pub async fn snapshot(&self) -> String {
        let tables = match self.backend {
            Backend::Postgres => {
                self.text(
                    "SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables \
                     WHERE tablename LIKE '{p}%'",
                )
                .await
            }
            Backend::Sqlite => {
                self.text(
                    "SELECT coalesce(group_concat(name, ','), '') FROM \
                     (SELECT name FROM sqlite_master WHERE name LIKE '{p}%' ORDER BY name)",
                )
                .await
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                self.text(
                    "SELECT COALESCE(GROUP_CONCAT(table_name ORDER BY table_name SEPARATOR ','), '') \
                     FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND table_name LIKE '{p}%'",
                )
                .await
            }
        };
        let mut snap = format!("tables: {tables}\n");
        if tables.contains("schema_migrations") {
            let q = match self.backend {
                Backend::Postgres => {
                    "SELECT coalesce(string_agg(version::text || description, ';' ORDER BY version), '') FROM \"{p}schema_migrations\""
                }
                Backend::Sqlite => {
                    "SELECT coalesce(group_concat(version || description, ';'), '') FROM (SELECT * FROM \"{p}schema_migrations\" ORDER BY version)"
                }
                #[cfg(feature = "mysql")]
                Backend::Mysql => {
                    "SELECT COALESCE(GROUP_CONCAT(CONCAT(version, description) ORDER BY version SEPARATOR ';'), '') FROM `{p}schema_migrations`"
                }
            };
            snap += &self.text(q).await;
        }
        if tables.contains(&format!("{}commands", self.prefix)) {
            // Our columns exist from version 2 on.
            let ours = if snap.contains(";2leases") {
                ", attempt, lease_token, last_error, last_outcome, parent_id, cancel_requested_at"
            } else {
                ""
            };
            let q = match self.backend {
                Backend::Postgres => {
                    "SELECT coalesce(string_agg(c::text, '\n' ORDER BY id), '') FROM {t} AS c"
                        .to_owned()
                }
                Backend::Sqlite => format!(
                    "SELECT coalesce(group_concat(r, char(10)), '') FROM (SELECT json_array(id, target, name, input, output, scheduled_at, timeout, is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left, is_failed, failed_at{ours}) AS r FROM {{t}} ORDER BY id)"
                ),
                #[cfg(feature = "mysql")]
                Backend::Mysql => format!(
                    "SELECT COALESCE(GROUP_CONCAT(JSON_ARRAY(id, target, name, input, output, scheduled_at, timeout, is_running, running_at, run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left, is_failed, failed_at{ours}) ORDER BY id SEPARATOR '|'), '') FROM {{t}}"
                ),
            };
            snap += "\n";
            snap += &self.text(&q).await;
        }
        snap
    }

    /// Drops this test's tables (PostgreSQL, MySQL; SQLite files go with their directory).
    pub async fn cleanup(&self) {
        if self.backend != Backend::Sqlite {
            // Steps, edges and attempts first: they reference the commands.
            let tables = [
                "stats",
                "workflow_edges",
                "workflow_steps",
                "attempts",
                "workers",
                "controls",
                "schedules",
                "commands",
                "schema_migrations",
            ];
            let drops: Vec<String> = tables
                .iter()
                .map(|t| format!("DROP TABLE IF EXISTS {};", self.quoted(t)))
                .collect();
            self.exec(&drops.concat()).await;
        }
    }

    /// Marks a command finished in `state` (`completed`, `failed` or `canceled`) an hour ago.
    pub async fn finish(&self, id: &str, state: &str) {
        let (flag, at) = match state {
            "completed" => ("is_completed", "completed_at"),
            "failed" => ("is_failed", "failed_at"),
            "canceled" => ("is_canceled", "canceled_at"),
            other => panic!("not a final state: {other}"),
        };
        let (yes, past) = match self.backend {
            Backend::Postgres => ("true", "now() - interval '1 hour'"),
            Backend::Sqlite => (
                "1",
                "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-3600 seconds')",
            ),
            #[cfg(feature = "mysql")]
            Backend::Mysql => ("TRUE", "UTC_TIMESTAMP(6) - INTERVAL 1 HOUR"),
        };
        let retries = if state == "failed" {
            ", retries_left = -1"
        } else {
            ""
        };
        // SQLite rows hold ids in upper case, as EF Core writes a `Guid` there.
        let id = match self.backend {
            Backend::Sqlite => id.to_uppercase(),
            _ => id.to_owned(),
        };
        self.exec(&format!(
            "UPDATE {{t}} SET {flag} = {yes}, {at} = {past}{retries} WHERE id = '{id}'"
        ))
        .await;
    }
}

/// Creates the test database if it is missing; an unreachable server fails the test.
async fn ensure_postgres_database(url: &str) {
    static CREATED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    CREATED
        .get_or_init(|| async {
            if sqlx::PgConnection::connect(url).await.is_ok() {
                return;
            }
            let (server, name) = url
                .rsplit_once('/')
                .expect("database url with a database name");
            let name = name.split('?').next().unwrap_or(name);
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {server} is unreachable ({e})"));
            let _ = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin)
                .await;
            sqlx::PgConnection::connect(url)
                .await
                .expect("test database exists");
        })
        .await;
}

/// Creates the MySQL/MariaDB test database if it is missing; an unreachable server fails the
/// test.
#[cfg(feature = "mysql")]
async fn ensure_mysql_database(url: &str) {
    static CREATED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    CREATED
        .get_or_init(|| async {
            if sqlx::MySqlConnection::connect(url).await.is_ok() {
                return;
            }
            let (server, name) = url
                .rsplit_once('/')
                .expect("database url with a database name");
            let name = name.split('?').next().unwrap_or(name);
            let mut admin = sqlx::MySqlConnection::connect(server)
                .await
                .unwrap_or_else(|e| panic!("MySQL/MariaDB at {server} is unreachable ({e})"));
            sqlx::raw_sql(AssertSqlSafe(format!(
                "CREATE DATABASE IF NOT EXISTS `{name}`"
            )))
            .execute(&mut admin)
            .await
            .expect("create the MySQL test database");
            sqlx::MySqlConnection::connect(url)
                .await
                .expect("test database exists");
        })
        .await;
}
