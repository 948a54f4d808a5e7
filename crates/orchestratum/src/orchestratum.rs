//! `Builder` and `Orchestratum`: wire the configuration, store, registry and runtime; start and
//! shut down.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::client::{Client, Shared};
use crate::command::Command;
use crate::config::{
    Config, INSTANCE_KEY_DEFAULT, LOCK_TIMEOUT_BUFFER_DEFAULT, MAX_COMMAND_PULL_DEFAULT,
    POLLING_INTERVAL_DEFAULT, TABLE_PREFIX_DEFAULT,
};
use crate::error::{Error, Result};
use crate::flow::{ConcurrencyLimit, Flow};
use crate::handler::Handler;
use crate::handler::registry::{Handlers, Registry};
use crate::retention::Retention;
use crate::retry::Backoff;
use crate::runtime::{Running, Runtime};
use crate::schedule::{Schedule, Scheduler};
use crate::stats::Stats;
use crate::store::Store;

/// Where the builder gets its database from.
enum Source {
    Url(String),
    #[cfg(feature = "postgres")]
    PgPool(sqlx::PgPool),
    #[cfg(feature = "sqlite")]
    SqlitePool(sqlx::SqlitePool),
    #[cfg(feature = "mysql")]
    MySqlPool(sqlx::MySqlPool),
}

/// Configures an instance: database, reference options, handlers.
#[must_use]
pub struct Builder {
    source: Option<Source>,
    polling_interval: Duration,
    lock_timeout_buffer: Duration,
    max_command_pull: usize,
    instance_key: String,
    table_prefix: String,
    cancel_grace: Option<Duration>,
    retry_backoff: Backoff,
    unhandled_after: Option<Duration>,
    retention: Retention,
    stats: Stats,
    concurrency: BTreeMap<String, ConcurrencyLimit>,
    migrate: bool,
    registry: Registry,
    registration_error: Option<Error>,
    schedules: Vec<Schedule>,
    #[cfg(feature = "postgres")]
    pooler: Option<crate::store::Pooler>,
    #[cfg(feature = "postgres")]
    listen_url: Option<String>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            source: None,
            polling_interval: POLLING_INTERVAL_DEFAULT,
            lock_timeout_buffer: LOCK_TIMEOUT_BUFFER_DEFAULT,
            max_command_pull: MAX_COMMAND_PULL_DEFAULT,
            instance_key: INSTANCE_KEY_DEFAULT.into(),
            table_prefix: TABLE_PREFIX_DEFAULT.into(),
            cancel_grace: None,
            retry_backoff: Backoff::NONE,
            unhandled_after: None,
            retention: Retention::default(),
            stats: Stats::default(),
            concurrency: BTreeMap::new(),
            migrate: true,
            registry: Registry::default(),
            registration_error: None,
            schedules: Vec::new(),
            #[cfg(feature = "postgres")]
            pooler: None,
            #[cfg(feature = "postgres")]
            listen_url: None,
        }
    }
}

impl Builder {
    /// The database URL: `postgres://…`, `mysql://…` or `mariadb://…`, `sqlite://file.db?mode=rwc`.
    pub fn database(mut self, url: impl Into<String>) -> Self {
        self.source = Some(Source::Url(url.into()));
        self
    }

    /// Uses an existing PostgreSQL pool (to push inside its transactions).
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(mut self, pool: sqlx::PgPool) -> Self {
        self.source = Some(Source::PgPool(pool));
        self
    }

    /// What sits between this instance and PostgreSQL (default: what the URL's `pooler=` says,
    /// else nothing). Behind PgBouncer in transaction mode, `Pooler::Transaction`: no statement
    /// then relies on session state (see `docs/backends.md`). Overrides the URL's parameter.
    #[cfg(feature = "postgres")]
    pub fn pooler(mut self, pooler: crate::store::Pooler) -> Self {
        self.pooler = Some(pooler);
        self
    }

    /// A direct PostgreSQL URL (not through the pooler) for LISTEN, which a transaction-mode
    /// pooler cannot carry; without one, such an instance wakes on its own pushes and polls.
    /// Overrides the URL's `listen_url=`.
    #[cfg(feature = "postgres")]
    pub fn listen_url(mut self, url: impl Into<String>) -> Self {
        self.listen_url = Some(url.into());
        self
    }

    /// Uses an existing SQLite pool (to push inside its transactions).
    #[cfg(feature = "sqlite")]
    pub fn sqlite_pool(mut self, pool: sqlx::SqlitePool) -> Self {
        self.source = Some(Source::SqlitePool(pool));
        self
    }

    /// Uses an existing MySQL or MariaDB pool (to push inside its transactions).
    #[cfg(feature = "mysql")]
    pub fn mysql_pool(mut self, pool: sqlx::MySqlPool) -> Self {
        self.source = Some(Source::MySqlPool(pool));
        self
    }

    /// How often an idle worker looks for due commands (default 5 s).
    pub fn polling_interval(mut self, every: Duration) -> Self {
        self.polling_interval = every;
        self
    }

    /// Lease length, renewed every third of it while a handler runs (default 10 s).
    pub fn lock_timeout_buffer(mut self, lease: Duration) -> Self {
        self.lock_timeout_buffer = lease;
        self
    }

    /// How long a handler may take to return after its token fired (timeout, cancel, lost
    /// lease, shutdown) before its future is dropped: time to clean up. The outcome stays what
    /// stopped the run. Default 1 s or an eighth of the lease, whichever is shorter; at most an
    /// eighth of the lease.
    pub fn cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = Some(grace);
        self
    }

    /// How long to wait before a retry, for command types whose `retry_delay` returns `None`
    /// (default [`Backoff::NONE`]: at once, as in the reference).
    pub fn retry_backoff(mut self, backoff: Backoff) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// How long a due command may wait with no live worker of its target that handles its name
    /// before this worker reports it with a warning (default 5 minutes; checked at most every
    /// minute).
    pub fn unhandled_after(mut self, age: Duration) -> Self {
        self.unhandled_after = Some(age);
        self
    }

    /// How long finished commands are kept before this instance (and every other started one
    /// with a retention) deletes them, per final state (default: kept forever, as in the
    /// reference).
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// How this instance counts outcomes per minute for the `{prefix}stats` table, flushes
    /// them and deletes old buckets (default: on, flushed every 5 s, kept 7 days; see
    /// [`Stats`]).
    pub fn stats(mut self, stats: Stats) -> Self {
        self.stats = stats;
        self
    }

    /// Most handlers running at once (default 100); up to eight times as many more may be claimed
    /// ahead, as many as the worker starts in about 20 ms at its recent pace.
    pub fn max_command_pull(mut self, n: usize) -> Self {
        self.max_command_pull = n;
        self
    }

    /// The key this instance claims for and pushes to by default (default "default").
    pub fn instance_key(mut self, key: impl Into<String>) -> Self {
        self.instance_key = key.into();
        self
    }

    /// Prefix of the commands table, `[A-Za-z0-9_]` only (default "ORCH_").
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.table_prefix = prefix.into();
        self
    }

    /// At most `n` commands named `name` in flight in this instance at once, beside
    /// `max_command_pull`. A capped name never holds back the others: the claim takes the rest
    /// of the free slots from them.
    pub fn local_limit(mut self, name: impl Into<String>, n: usize) -> Self {
        self.concurrency.entry(name.into()).or_default().local = Some(n);
        self
    }

    /// [`Builder::local_limit`] for command type `C`.
    pub fn local_limit_of<C: Command>(self, n: usize) -> Self {
        self.local_limit(C::name(), n)
    }

    /// At most `n` commands named `name` running at once across every instance that sets this
    /// limit (live leases), held by the claim: it locks the name's row in `{prefix}controls`,
    /// counts the live runs and claims only the room left. Every instance handling the name
    /// should set the same limit; one without it claims the name freely. The limit is recorded
    /// in the controls row at start, for `orchestratum status`.
    pub fn fleet_limit(mut self, name: impl Into<String>, n: u32) -> Self {
        self.concurrency.entry(name.into()).or_default().fleet = Some(n);
        self
    }

    /// [`Builder::fleet_limit`] for command type `C`.
    pub fn fleet_limit_of<C: Command>(self, n: u32) -> Self {
        self.fleet_limit(C::name(), n)
    }

    /// Whether `start()` and `connect()` apply migrations (default true).
    pub fn migrate(mut self, on: bool) -> Self {
        self.migrate = on;
        self
    }

    /// Registers a handler.
    pub fn handler<H: Handler>(self, handler: H) -> Self {
        self.handlers(handler)
    }

    /// Registers many handlers at once: `.handlers((EmailHandler { .. }, ReportHandler { .. }))`.
    pub fn handlers<H: Handlers>(mut self, handlers: H) -> Self {
        if let Err(e) = handlers.register_into(&mut self.registry) {
            self.registration_error.get_or_insert(e);
        }
        self
    }

    /// Registers a command type without a handler, so this instance can run its chain hooks
    /// (a client that cancels it enqueues its `on_cancellation` follow-ups at once).
    pub fn command<C: Command>(mut self) -> Self {
        if let Err(e) = self.registry.command::<C>() {
            self.registration_error.get_or_insert(e);
        }
        self
    }

    /// Registers a schedule: a started instance upserts it and fires it (a connected client
    /// does neither). See [`crate::schedule`].
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        let error = if !schedule.has_command() {
            Some("has no command: call .command(…)")
        } else if self.schedules.iter().any(|s| s.name() == schedule.name()) {
            Some("is registered twice")
        } else {
            None
        };
        match error {
            Some(reason) => {
                self.registration_error
                    .get_or_insert(Error::InvalidSchedule {
                        name: schedule.name().to_owned(),
                        reason: reason.into(),
                    });
            }
            None => self.schedules.push(schedule),
        }
        self
    }

    /// Connects (and migrates unless turned off) without starting a worker.
    pub async fn connect(self) -> Result<Client> {
        if let Some(e) = self.registration_error {
            return Err(e);
        }
        let config = Config::new(
            self.polling_interval,
            self.lock_timeout_buffer,
            self.max_command_pull,
            self.instance_key,
            &self.table_prefix,
            self.cancel_grace,
        )?;
        if let Some(age) = self
            .unhandled_after
            .filter(|&a| a > crate::store::MAX_DURATION)
        {
            return Err(Error::InvalidConfig {
                option: "unhandled_after",
                reason: format!("must be at most 100 years, got {age:?}"),
            });
        }
        self.retention.check()?;
        self.stats.check()?;
        crate::flow::validate(&self.concurrency)?;
        let config = Config {
            concurrency: self.concurrency,
            retry_backoff: self.retry_backoff,
            retention: self.retention,
            stats: self.stats,
            unhandled_after: self.unhandled_after.unwrap_or(config.unhandled_after),
            ..config
        };
        #[cfg(feature = "postgres")]
        if (self.pooler.is_some_and(crate::store::Pooler::any) || self.listen_url.is_some())
            && !matches!(self.source, None | Some(Source::Url(_) | Source::PgPool(_)))
        {
            return Err(crate::store::pooler_on_another_backend());
        }
        let store = match self.source {
            None => {
                return Err(Error::InvalidConfig {
                    option: "database",
                    reason: "is required: call .database(url)".into(),
                });
            }
            #[cfg(feature = "postgres")]
            Some(Source::Url(url)) => {
                Store::connect_pooled(
                    &url,
                    config.table_prefix.clone(),
                    self.pooler,
                    self.listen_url.as_deref(),
                )
                .await?
            }
            #[cfg(not(feature = "postgres"))]
            Some(Source::Url(url)) => Store::connect(&url, config.table_prefix.clone()).await?,
            #[cfg(feature = "postgres")]
            Some(Source::PgPool(pool)) => Store::Postgres(
                crate::store::postgres::PostgresStore::from_pool(pool, config.table_prefix.clone())
                    .pooled(crate::store::Pooling {
                        pooler: self.pooler.unwrap_or_default(),
                        listen_url: self.listen_url,
                    })?,
            ),
            #[cfg(feature = "sqlite")]
            Some(Source::SqlitePool(pool)) => Store::Sqlite(
                crate::store::sqlite::SqliteStore::from_pool(pool, config.table_prefix.clone()),
            ),
            #[cfg(feature = "mysql")]
            Some(Source::MySqlPool(pool)) => Store::MySql(
                crate::store::mysql::MySqlStore::from_pool(pool, config.table_prefix.clone()),
            ),
        };
        if self.migrate {
            let report = store.migrate().await?;
            if !report.applied.is_empty() {
                tracing::info!(applied = ?report.applied, adopted = report.adopted_existing_table, "migrations applied");
            }
        }
        let names = self.registry.handled_names();
        let metrics = crate::telemetry::Metrics::new(&names);
        let flow = Flow::new(&names, &config.concurrency);
        Ok(Client {
            shared: Arc::new(Shared {
                store,
                config,
                registry: self.registry,
                names,
                wake: Notify::new(),
                finished: Notify::new(),
                renew_now: Notify::new(),
                running: Running::default(),
                worker_id: uuid::Uuid::now_v7(),
                metrics,
                stats: crate::stats::Tally::default(),
                flow,
            }),
        })
    }

    /// Connects, migrates (unless turned off) and starts the worker.
    pub async fn start(mut self) -> Result<Orchestratum> {
        let schedules = std::mem::take(&mut self.schedules);
        let client = self.connect().await?;
        if client.shared.names.is_empty() {
            tracing::warn!("no handlers registered: this worker will claim nothing");
        }
        // Registered before anything is started, so a refusal leaves nothing running.
        let scheduled = match schedules.is_empty() {
            true => None,
            false => Some(Scheduler::register(&client.shared, &schedules).await?),
        };
        crate::runtime::registry::register(&client.shared).await?;
        for capped in &client.shared.flow.capped {
            if let (Some(limit), Some(name)) = (capped.fleet, capped.names.first()) {
                client.shared.store.record_fleet_limit(name, limit).await?;
            }
        }
        let scheduler = scheduled.map(|names| Scheduler::start(client.shared.clone(), names));
        let runtime = Runtime::start(client.shared.clone());
        Ok(Orchestratum {
            client,
            runtime: Some(runtime),
            scheduler,
        })
    }
}

/// A running instance: a [`Client`] (through `Deref`) plus its worker.
pub struct Orchestratum {
    client: Client,
    runtime: Option<Runtime>,
    scheduler: Option<Scheduler>,
}

impl Orchestratum {
    /// Starts configuring an instance.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A clonable client of this instance, e.g. for web handlers.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Stops claiming, lets running handlers finish within `grace`, then stops the rest (each
    /// gets its cancel grace to return) and releases their leases so another instance can take
    /// them at once. Returns within `grace + cancel_grace + 5 s`, also when the database is
    /// unreachable: outcomes still unwritten then are given up, and their leases lapse.
    pub async fn shutdown(mut self, grace: Duration) -> Result<()> {
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.shutdown().await;
        }
        match self.runtime.take() {
            Some(runtime) => runtime.shutdown(grace).await,
            None => Ok(()),
        }
    }
}

impl Deref for Orchestratum {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for Orchestratum {
    fn drop(&mut self) {
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.abort();
        }
        if let Some(runtime) = self.runtime.take() {
            tracing::warn!("Orchestratum dropped without shutdown(): stopping its worker abruptly");
            runtime.abort();
        }
    }
}
