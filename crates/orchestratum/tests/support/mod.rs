//! Shared test helpers: an isolated database per test on a real server, condition waits with
//! deadlines, and a probe that handlers report to.
#![allow(dead_code)]

pub mod commands;
pub mod pgbouncer;
pub mod relay;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orchestratum::{Builder, Client, CommandRecord, Orchestratum};
use sqlx::{AssertSqlSafe, Connection};
use tokio::sync::Notify;
use uuid::Uuid;

/// Default server for PostgreSQL tests; override with `ORCH_TEST_POSTGRES_URL`.
const POSTGRES_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/orchestratum_test";
/// Default server for MySQL/MariaDB tests; override with `ORCH_TEST_MYSQL_URL`.
#[cfg(feature = "mysql")]
const MYSQL_URL_DEFAULT: &str = "mysql://root@127.0.0.1:3306/orchestratum_test";

/// Which backend a conformance case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
    #[cfg(feature = "mysql")]
    Mysql,
}

/// One test's own database: a fresh table prefix on the shared PostgreSQL or MySQL/MariaDB
/// database, or a fresh SQLite file in a temporary directory.
#[derive(Clone)]
pub struct TestDb {
    pub backend: Backend,
    /// What the library connects to: through PgBouncer for [`TestDb::through_pgbouncer`].
    pub url: String,
    /// The server itself, for fixtures and assertions (raw SQL the library does not run).
    pub direct: String,
    pub prefix: String,
    /// The pooler the builder is told about, beside the URL's `pooler=`: a case handing the
    /// builder a pool of its own keeps it.
    pub pooler: Option<orchestratum::Pooler>,
    _dir: Option<Arc<tempfile::TempDir>>,
    _bouncer: Option<Arc<pgbouncer::PgBouncer>>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let prefix = format!("t{}_", &Uuid::new_v4().simple().to_string()[..12]);
        match backend {
            Backend::Postgres => {
                let url = std::env::var("ORCH_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| POSTGRES_URL_DEFAULT.into());
                ensure_postgres_database(&url).await;
                Self {
                    backend,
                    direct: url.clone(),
                    url,
                    prefix,
                    pooler: None,
                    _dir: None,
                    _bouncer: None,
                }
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let url = std::env::var("ORCH_TEST_MYSQL_URL")
                    .unwrap_or_else(|_| MYSQL_URL_DEFAULT.into());
                ensure_mysql_database(&url).await;
                Self {
                    backend,
                    direct: url.clone(),
                    url,
                    prefix,
                    pooler: None,
                    _dir: None,
                    _bouncer: None,
                }
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("orch.db").display());
                Self {
                    backend,
                    direct: url.clone(),
                    url,
                    prefix,
                    pooler: None,
                    _dir: Some(Arc::new(dir)),
                    _bouncer: None,
                }
            }
        }
    }

    /// A database at `url` that the test manages itself (a throwaway server), with a fresh prefix.
    pub fn at(backend: Backend, url: &str) -> Self {
        Self {
            backend,
            url: url.into(),
            direct: url.into(),
            prefix: format!("t{}_", &Uuid::new_v4().simple().to_string()[..12]),
            pooler: None,
            _dir: None,
            _bouncer: None,
        }
    }

    /// A PostgreSQL database reached through a PgBouncer of its own in transaction mode, with
    /// `pooler=transaction` in the URL the library gets, and LISTEN on the direct URL
    /// (`listen_url=`) when `listen` is set.
    pub async fn through_pgbouncer(settings: pgbouncer::Settings, listen: bool) -> Self {
        let direct = Self::new(Backend::Postgres).await;
        let bouncer = pgbouncer::PgBouncer::start(&direct.direct, settings);
        let url = bouncer.url_for(&direct.direct);
        let joint = if url.contains('?') { '&' } else { '?' };
        let mut url = format!("{url}{joint}pooler=transaction");
        if listen {
            let encoded = percent_encoding::utf8_percent_encode(
                &direct.direct,
                percent_encoding::NON_ALPHANUMERIC,
            );
            url.push_str(&format!("&listen_url={encoded}"));
        }
        Self {
            url,
            pooler: Some(orchestratum::Pooler::Transaction),
            _bouncer: Some(Arc::new(bouncer)),
            ..direct
        }
    }

    /// A builder on this database with this test's prefix and instance key "test".
    pub fn builder(&self) -> Builder {
        let builder = Orchestratum::builder()
            .database(&self.url)
            .table_prefix(&self.prefix)
            .instance_key("test");
        match self.pooler {
            Some(pooler) => builder.pooler(pooler),
            None => builder,
        }
    }

    /// A client-only connection (migrates).
    pub async fn client(&self) -> Client {
        self.builder().connect().await.expect("connect client")
    }

    /// This test's commands table, quoted for raw SQL.
    pub fn table(&self) -> String {
        self.quoted("commands")
    }

    /// This test's table `name` (with its prefix), quoted for raw SQL on this backend.
    pub fn quoted(&self, name: &str) -> String {
        match self.backend {
            #[cfg(feature = "mysql")]
            Backend::Mysql => format!("`{}{name}`", self.prefix),
            Backend::Postgres | Backend::Sqlite => format!("\"{}{name}\"", self.prefix),
        }
    }

    /// `id` as a quoted SQL literal in the spelling this backend stores: upper case on SQLite
    /// (EF Core's spelling of a `Guid` there), lower case on the others.
    pub fn id_literal(&self, id: Uuid) -> String {
        match self.backend {
            Backend::Sqlite => format!("'{}'", id.hyphenated().to_string().to_uppercase()),
            _ => format!("'{id}'"),
        }
    }

    /// Runs a statement with no result (test fixtures and assertions only).
    pub async fn exec(&self, sql: &str) {
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
            }
        }
    }

    /// Runs `sql` (a `BEGIN …` and what it locks) on a connection of its own and keeps that
    /// transaction open, with its locks, until the returned guard is dropped.
    pub async fn hold(&self, sql: &str) -> Held {
        let (locked_tx, locked) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (backend, url, sql) = (self.backend, self.direct.clone(), sql.to_owned());
        macro_rules! hold_on {
            ($conn:ty) => {
                tokio::spawn(async move {
                    let mut c = <$conn>::connect(&url).await.expect("connect");
                    sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                        .execute(&mut c)
                        .await
                        .expect(&sql);
                    let _ = locked_tx.send(());
                    let _ = released.await;
                    // Dropping the connection ends its transaction.
                })
            };
        }
        let task = match backend {
            Backend::Postgres => hold_on!(sqlx::PgConnection),
            Backend::Sqlite => hold_on!(sqlx::SqliteConnection),
            #[cfg(feature = "mysql")]
            Backend::Mysql => hold_on!(sqlx::MySqlConnection),
        };
        locked.await.expect("the holding transaction began");
        Held {
            release: Some(release),
            task,
        }
    }

    /// Runs a query returning one integer.
    pub async fn count(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .expect(sql)
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .expect(sql)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .expect(sql)
            }
        }
    }

    /// Runs a query returning rows of (text, integer, integer).
    pub async fn triples(&self, sql: &str) -> Vec<(String, i64, i64)> {
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_as(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .expect(sql)
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_as(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .expect(sql)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_as(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .expect(sql)
            }
        }
    }

    /// Runs a query returning one text column.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .expect(sql)
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .expect(sql)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.direct)
                    .await
                    .expect("connect");
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .expect(sql)
            }
        }
    }

    /// Number of rows with this command name.
    pub async fn count_named(&self, name: &str) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM {} WHERE name = '{name}'",
            self.table()
        ))
        .await
    }

    /// Drops this test's tables (PostgreSQL, MySQL; SQLite files go with their directory),
    /// including the side-effects table the `worker` example makes.
    pub async fn cleanup(&self) {
        if self.backend != Backend::Sqlite {
            // Attempts first: they reference the commands.
            let tables = [
                "stats",
                "schedules",
                "workflow_edges",
                "workflow_steps",
                "attempts",
                "workers",
                "controls",
                "commands",
                "schema_migrations",
                "effects",
            ];
            let drops: Vec<String> = tables
                .iter()
                .map(|t| format!("DROP TABLE IF EXISTS {};", self.quoted(t)))
                .collect();
            self.exec(&drops.concat()).await;
        }
    }
}

/// Creates the test database if it is missing. A database that cannot be reached fails the test:
/// it is never skipped.
async fn ensure_postgres_database(url: &str) {
    static CREATED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    CREATED
        .get_or_init(|| async {
            if sqlx::PgConnection::connect(url).await.is_ok() {
                return;
            }
            let (server, name) = url.rsplit_once('/').expect("database url with a database name");
            let name = name.split('?').next().unwrap_or(name);
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {server} is unreachable ({e}); start it or set ORCH_TEST_POSTGRES_URL"));
            // Two test processes may race to create it: a duplicate is fine.
            let _ = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut admin).await;
            sqlx::PgConnection::connect(url).await.expect("test database exists after CREATE DATABASE");
        })
        .await;
}

/// Creates the MySQL/MariaDB test database if it is missing. A server that cannot be reached
/// fails the test: it is never skipped.
#[cfg(feature = "mysql")]
async fn ensure_mysql_database(url: &str) {
    static CREATED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    CREATED
        .get_or_init(|| async {
            if sqlx::MySqlConnection::connect(url).await.is_ok() {
                return;
            }
            let (server, name) = url.rsplit_once('/').expect("database url with a database name");
            let name = name.split('?').next().unwrap_or(name);
            let mut admin = sqlx::MySqlConnection::connect(server)
                .await
                .unwrap_or_else(|e| panic!("MySQL/MariaDB at {server} is unreachable ({e}); start it or set ORCH_TEST_MYSQL_URL"));
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE IF NOT EXISTS `{name}`")))
                .execute(&mut admin)
                .await
                .expect("create the MySQL test database");
            sqlx::MySqlConnection::connect(url).await.expect("test database exists after CREATE DATABASE");
        })
        .await;
}

/// Runs one conformance case on a fresh database and cleans up after it.
pub async fn run<F, Fut>(backend: Backend, case: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    run_on(TestDb::new(backend).await, case).await;
}

/// Runs one conformance case on PostgreSQL through a PgBouncer in transaction mode, with
/// LISTEN on a direct URL (the cases count on PostgreSQL's cross-process wake-ups).
pub async fn run_through_pgbouncer<F, Fut>(case: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TestDb::through_pgbouncer(pgbouncer::Settings::default(), true).await;
    run_on(db, case).await;
}

async fn run_on<F, Fut>(db: TestDb, case: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "orchestratum=debug".into()))
        .with_test_writer()
        .try_init();
    case(db.clone()).await;
    db.cleanup().await;
}

/// Polls `check` every few milliseconds until it yields `Some`, or fails the test at `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = tokio::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if start.elapsed() > deadline {
            panic!("timed out after {deadline:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until a command's row satisfies `pred`, and returns it.
pub async fn wait_for(
    client: &Client,
    id: Uuid,
    what: &str,
    deadline: Duration,
    pred: impl Fn(&CommandRecord) -> bool,
) -> CommandRecord {
    eventually(what, deadline, || async {
        let record = client.get(id).await.expect("get");
        pred(&record).then_some(record)
    })
    .await
}

/// Waits until a command is finished.
pub async fn wait_terminal(client: &Client, id: Uuid) -> CommandRecord {
    wait_for(
        client,
        id,
        "command to finish",
        Duration::from_secs(15),
        |r| r.state().is_terminal(),
    )
    .await
}

/// What handlers report: runs by name, and a signal on every report.
#[derive(Default)]
pub struct Probe {
    events: Mutex<Vec<(String, Uuid, u32)>>,
    /// When each event of `events` was recorded, by index.
    times: Mutex<Vec<std::time::Instant>>,
    pub changed: Notify,
}

impl Probe {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn record(&self, event: &str, id: Uuid, attempt: u32) {
        let mut events = self.events.lock().unwrap();
        events.push((event.to_owned(), id, attempt));
        self.times.lock().unwrap().push(std::time::Instant::now());
        drop(events);
        self.changed.notify_waiters();
    }

    /// When `event` was recorded for `id`, in order.
    pub fn times_of(&self, event: &str, id: Uuid) -> Vec<std::time::Instant> {
        let events = self.events.lock().unwrap();
        let times = self.times.lock().unwrap();
        events
            .iter()
            .zip(times.iter())
            .filter(|((e, i, _), _)| e == event && *i == id)
            .map(|(_, at)| *at)
            .collect()
    }

    pub fn count(&self, event: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|(e, _, _)| e == event)
            .count()
    }

    pub fn count_for(&self, event: &str, id: Uuid) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|(e, i, _)| e == event && *i == id)
            .count()
    }

    /// Highest number of runs between a `start` and its `end` event at any moment.
    pub fn max_concurrent(&self, start: &str, end: &str) -> usize {
        let (mut now, mut max) = (0usize, 0usize);
        for (e, _, _) in self.events.lock().unwrap().iter() {
            if e == start {
                now += 1;
                max = max.max(now);
            } else if e == end {
                now = now.saturating_sub(1);
            }
        }
        max
    }

    /// Waits until `event` was recorded at least `n` times.
    pub async fn wait(&self, event: &str, n: usize, deadline: Duration) {
        eventually(&format!("{n} × {event}"), deadline, || async {
            (self.count(event) >= n).then_some(())
        })
        .await
    }
}

/// A transaction held open by [`TestDb::hold`].
pub struct Held {
    release: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Held {
    /// Ends the transaction and waits until its connection is gone.
    pub async fn release(mut self) {
        drop(self.release.take());
        (&mut self.task).await.expect("the holding task");
    }
}
