//! Helpers for the dashboard tests: one database per test (its own table prefix on the shared
//! PostgreSQL or MySQL/MariaDB database, or its own SQLite file), and requests sent to the
//! router in process (`tower::ServiceExt::oneshot`), cookies and all.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use orchestratum::{Client, Orchestratum};
use sqlx::{AssertSqlSafe, Connection};
use tower::ServiceExt;
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
        let prefix = format!("web{}_", &Uuid::new_v4().simple().to_string()[..12]);
        let (url, dir) = match backend {
            Backend::Postgres => {
                let url = std::env::var("ORCH_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| POSTGRES_URL_DEFAULT.into());
                ensure_postgres_database(&url).await;
                (url, None)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let url = std::env::var("ORCH_TEST_MYSQL_URL")
                    .unwrap_or_else(|_| MYSQL_URL_DEFAULT.into());
                ensure_mysql_database(&url).await;
                (url, None)
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("orch.db").display());
                (url, Some(Arc::new(dir)))
            }
        };
        Self {
            backend,
            url,
            prefix,
            _dir: dir,
        }
    }

    /// A builder on this database and prefix.
    pub fn builder(&self) -> orchestratum::Builder {
        Orchestratum::builder()
            .database(&self.url)
            .table_prefix(&self.prefix)
    }

    /// A client (migrating the schema) with no worker.
    pub async fn client(&self) -> Client {
        self.builder().connect().await.expect("connect a client")
    }

    /// Drops this test's tables (PostgreSQL, MySQL; SQLite files go with their directory).
    pub async fn cleanup(&self) {
        let tables = [
            "workflow_edges",
            "workflow_steps",
            "attempts",
            "workers",
            "controls",
            "schedules",
            "stats",
            "commands",
            "schema_migrations",
        ];
        let quote = |t: &str| match self.backend {
            #[cfg(feature = "mysql")]
            Backend::Mysql => format!("`{}{t}`", self.prefix),
            _ => format!("\"{}{t}\"", self.prefix),
        };
        let sql: String = tables
            .iter()
            .map(|t| format!("DROP TABLE IF EXISTS {};", quote(t)))
            .collect();
        match self.backend {
            Backend::Sqlite => {}
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .expect("drop");
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .expect("drop");
            }
        }
    }
}

/// What the router answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location; status {} body {}", self.status, self.body))
    }

    /// Asserts a 200 HTML page and returns it.
    pub fn page(&self) -> &str {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        assert!(
            self.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{:?}",
            self.headers
        );
        &self.body
    }

    /// The CSRF cookie this answer sets, as `name=value`, and its attributes.
    pub fn csrf_cookie(&self) -> Option<(String, String)> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("orch_csrf="))
            .map(|v| {
                let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
                (pair.to_owned(), attrs.trim().to_owned())
            })
    }
}

/// Sends one request to the router.
pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

/// GET `path` with no cookie.
pub async fn get(app: &Router, path: &str) -> Answer {
    send(app, request("GET", path).body(Body::empty()).unwrap()).await
}

/// A request builder with the `Host` a browser sends.
pub fn request(method: &str, path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "dash.test")
}

/// A browser session: the CSRF cookie a first GET of `page` set, and its token.
pub struct Session {
    pub cookie: String,
    pub token: String,
}

impl Session {
    /// Opens `page` and keeps the cookie it sets.
    pub async fn open(app: &Router, page: &str) -> Self {
        let answer = get(app, page).await;
        let (cookie, _) = answer
            .csrf_cookie()
            .expect("a first visit sets the CSRF cookie");
        let token = cookie.split_once('=').unwrap().1.to_owned();
        assert!(
            answer.body.contains(&token) || !answer.body.contains("orch_csrf"),
            "forms carry the cookie's token"
        );
        Self { cookie, token }
    }

    /// GET `path` with the cookie.
    pub async fn get(&self, app: &Router, path: &str) -> Answer {
        send(
            app,
            request("GET", path)
                .header(header::COOKIE, &self.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// POST the form `fields` (the token added) to `path`, as the dashboard's own page would.
    pub async fn post(&self, app: &Router, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = vec![("orch_csrf", self.token.as_str())];
        all.extend_from_slice(fields);
        post_raw(app, path, &self.cookie, &all, Some("http://dash.test")).await
    }
}

/// POST `fields` with `cookie` and an optional `Origin`.
pub async fn post_raw(
    app: &Router,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    origin: Option<&str>,
) -> Answer {
    let mut builder =
        request("POST", path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if !cookie.is_empty() {
        builder = builder.header(header::COOKIE, cookie);
    }
    if let Some(origin) = origin {
        builder = builder.header(header::ORIGIN, origin);
    }
    let body = serde_urlencoded::to_string(fields).unwrap();
    send(app, builder.body(Body::from(body)).unwrap()).await
}

/// Polls `check` until it returns `Some`, failing the test with `what` after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = std::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
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
            let (server, name) = url.rsplit_once('/').expect("database url with a name");
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

/// Creates the MySQL/MariaDB test database if it is missing.
#[cfg(feature = "mysql")]
async fn ensure_mysql_database(url: &str) {
    static CREATED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    CREATED
        .get_or_init(|| async {
            if sqlx::MySqlConnection::connect(url).await.is_ok() {
                return;
            }
            let (server, name) = url.rsplit_once('/').expect("database url with a name");
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

/// Expands each case into one test per backend, each on a fresh database cleaned up after.
#[allow(unused_macros)] // not every test file runs its cases on every backend
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::TestDb::new(crate::Backend::Postgres).await;
                    crate::$case(db.clone()).await;
                    db.cleanup().await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::$case(crate::TestDb::new(crate::Backend::Sqlite).await).await;
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::TestDb::new(crate::Backend::Mysql).await;
                    crate::$case(db.clone()).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_every_backend;
