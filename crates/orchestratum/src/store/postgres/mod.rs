//! `PostgresStore`: the store's operations as PostgreSQL statements (one `.sql` file each).

/// Runs one statement the way [`PostgresStore::session`] says, on the connection named `c`:
/// `alone!(self, |c| self.query(&self.sql.get).bind(id).fetch_optional(c))`.
macro_rules! alone {
    ($store:expr, |$c:ident| $statement:expr) => {
        alone!(on $store.session(), |$c| $statement)
    };
    (on $session:expr, |$c:ident| $statement:expr) => {{
        let mut session = $session.await?;
        let $c = &mut *session;
        let out = $statement.await?;
        session.done().await?;
        out
    }};
}

mod admin;
mod flow;
mod overview;
mod schedules;
mod search;
mod stats;
mod unique;
mod workflows;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::pool::{PoolConnection, PoolOptions};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgListener, PgPool, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::types::Uuid;
use sqlx::{FromRow, PgConnection, Postgres, Row, SqlStr, Transaction};

use super::migrator::{self, migration_sql};
use super::pooler::{Pooler, Pooling};
use super::rows::{self, Columns, native_columns};
use super::{CancelRequest, ClaimParams, ClaimedCommand, Lease, RenewedLease, Transition, micros};
use crate::attempt::Attempt;
use crate::error::{Error, Result};
use crate::migrate::MigrationReport;
use crate::push::{NewCommand, Pushed};
use crate::record::{CommandRecord, FailureKind};
use crate::store::TablePrefix;
use crate::worker::{Unhandled, WorkerBeat, WorkerInfo};

super::migrations! {
    (1, "0001_reference_schema", "reference schema", true),
    (2, "0002_leases_and_pending_index", "leases, attempts, errors, parents; pending index", false),
    (3, "0003_claim_index_and_autovacuum", "claim index in claim order; no target index; autovacuum for a queue", false),
    (4, "0004_worker_column", "the worker holding each command", false),
    (5, "0005_attempts", "attempt history", false),
    (6, "0006_workers", "worker registry", false),
    (7, "0007_controls", "flow controls: paused names, fleet limits", false),
    (8, "0008_schedules", "schedules", false),
    (9, "0009_priorities_and_unique_keys", "priorities and unique keys", false),
    (10, "0010_workflow_steps", "workflow steps", false),
    (11, "0011_workflow_edges", "workflow edges", false),
    (12, "0012_workflow_column", "the workflow of each step", false),
    (13, "0013_stats", "outcomes per minute by name", false),
    (14, "0014_claim_room_on_page", "room on each page for the claim's update", false),
}

super::statements!(
    applied_migrations,
    begin_pooled,
    attempts,
    deregister_worker,
    register_worker,
    sweep_workers,
    unhandled,
    workers,
    claim,
    commands_table_exists,
    get,
    migration_lock,
    migrations_table,
    next_due,
    push,
    push_unique,
    unique_holders,
    record_migration,
    record_outcomes,
    renew_leases,
    request_cancel,
    // Flow control (`flow.rs`).
    control_fleet_limit,
    control_lock,
    control_pause,
    control_resume,
    controls,
    live_running,
    // Schedules (`schedules.rs`).
    fire_schedule,
    pause_schedule,
    register_schedule,
    resume_schedule,
    schedule,
    schedule_now,
    schedules,
    stamp_scheduled,
    touch_schedule,
    // Workflows (`workflows.rs`).
    add_workflow,
    cancel_workflow,
    count_parents,
    parent_steps,
    release_steps,
    resolve_edges,
    workflow_edges,
    workflow_steps,
    // Search and deletion (`search.rs`).
    delete,
    delete_check,
    search,
    search_edge,
    // The operators' statements (`admin.rs`).
    delete_migration,
    expired_leases,
    follow_ups,
    list,
    live_leases,
    migration_history,
    migrations_table_exists,
    prune,
    retry,
    summary,
    // The dashboard overview (`overview.rs`).
    finished_since,
    overview_unfinished,
    table_rows,
    // Per-minute stats (`stats.rs`).
    add_stats,
    prune_stats,
    stats,
);

/// The commands table of one prefix in one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    prefix: TablePrefix,
    channel: Arc<str>,
    sql: Arc<Statements>,
    pooler: Pooler,
    /// Where LISTEN runs: the pool, a pool on the direct `listen_url`, or nowhere (behind a
    /// transaction-mode pooler without one).
    listen: Option<PgPool>,
    /// Where the worker's claims and batch outcome writes run, on a pool this store connected
    /// itself without a pooler: connections started with `plan_cache_mode =
    /// force_generic_plan`. The automatic plan cache planned every claim anew (its generic plan
    /// cannot know the `LIMIT`) and gave some outcome writes custom plans that scanned the table;
    /// the other statements (the dashboard's, handlers' transactions) keep custom plans
    /// (decision 0009, fifth pass).
    hot: Option<PgPool>,
}

/// A connection for one store call outside any caller's transaction.
pub(crate) enum Session {
    /// A pool connection: each statement commits on its own.
    Direct(PoolConnection<Postgres>),
    /// Behind a transaction-mode pooler, a transaction of its own: the pooler hands the server
    /// connection to another client at every transaction's end, so outside one a statement's
    /// parse and its execution may reach two servers (and run another client's statement).
    Own(Transaction<'static, Postgres>),
}

impl Session {
    /// Ends the call: commits the session's transaction, if it has one.
    pub(crate) async fn done(self) -> Result<()> {
        if let Session::Own(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }
}

impl Deref for Session {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Session::Direct(c) => c,
            Session::Own(tx) => tx,
        }
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Session::Direct(c) => c,
            Session::Own(tx) => tx,
        }
    }
}

impl PostgresStore {
    /// Connects a pool; fails at once if the server (or the pooler) cannot be reached.
    pub async fn connect(
        options: PgConnectOptions,
        url: &str,
        prefix: TablePrefix,
        pooling: Pooling,
    ) -> Result<Self> {
        let options = if pooling.pooler.any() {
            // Poolers refuse startup parameters they do not track (PgBouncer: "unsupported
            // startup parameter"); the idle timeout is `SET LOCAL` in each transaction instead.
            options.extra_float_digits(None)
        } else {
            let idle = super::IDLE_IN_TRANSACTION_TIMEOUT.as_millis();
            options.options([("idle_in_transaction_session_timeout", idle)])
        };
        // One connection each for the claimer and the outcome writer, opened when first used.
        let hot = (!pooling.pooler.any()).then(|| {
            super::checked_when_idle(PoolOptions::new())
                .max_connections(2)
                .acquire_timeout(super::ACQUIRE_TIMEOUT)
                .connect_lazy_with(
                    options
                        .clone()
                        .options([("plan_cache_mode", "force_generic_plan")]),
                )
        });
        let pool = super::connect_server_pool(options, PoolOptions::new(), url).await?;
        let mut store = Self::from_pool(pool, prefix).pooled(pooling)?;
        store.hot = hot;
        Ok(store)
    }

    /// Uses a pool the application already has (as if nothing sat between it and the server;
    /// see [`PostgresStore::pooled`]).
    pub fn from_pool(pool: PgPool, prefix: TablePrefix) -> Self {
        Self {
            channel: format!("{}commands", prefix.as_str()).into(),
            sql: Arc::new(Statements::render(&prefix)),
            listen: Some(pool.clone()),
            pool,
            prefix,
            pooler: Pooler::None,
            hot: None,
        }
    }

    /// The same store behind the pooler `pooling` describes: its statements and transactions
    /// keep to what that pooler carries, and LISTEN moves to `listen_url` (or off).
    pub fn pooled(mut self, pooling: Pooling) -> Result<Self> {
        self.pooler = pooling.pooler;
        self.listen = match (&pooling.listen_url, pooling.pooler) {
            (Some(url), _) => {
                let options: PgConnectOptions =
                    url.parse().map_err(|e: sqlx::Error| Error::InvalidUrl {
                        url: super::database_url::redact(url),
                        reason: e.to_string(),
                    })?;
                // One connection: a listener holds it for as long as it listens.
                Some(
                    PoolOptions::new()
                        .max_connections(1)
                        .connect_lazy_with(options),
                )
            }
            (None, Pooler::Transaction) => None,
            (None, _) => Some(self.pool.clone()),
        };
        Ok(self)
    }

    /// The pool, for callers that want to share it.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The pooler this store keeps to.
    pub fn pooler(&self) -> Pooler {
        self.pooler
    }

    /// True if this store can LISTEN for other processes' wake-ups.
    pub(crate) fn listens(&self) -> bool {
        self.listen.is_some()
    }

    /// Named statements are cached per connection, unless a transaction-mode pooler may give
    /// each transaction another server connection (where the name is unknown, or another
    /// client's).
    fn named(&self) -> bool {
        self.pooler != Pooler::Transaction
    }

    /// One of this store's statements, unnamed behind a transaction-mode pooler.
    fn query<'q>(&self, sql: &SqlStr) -> Query<'q, Postgres, PgArguments> {
        sqlx::query(sql.clone()).persistent(self.named())
    }

    /// [`PostgresStore::query`] yielding one column.
    fn scalar<'q, O>(&self, sql: &SqlStr) -> QueryScalar<'q, Postgres, O, PgArguments>
    where
        (O,): for<'r> FromRow<'r, PgRow>,
    {
        sqlx::query_scalar(sql.clone()).persistent(self.named())
    }

    /// [`PostgresStore::query`] yielding rows as `O`.
    fn query_as<'q, O>(&self, sql: &SqlStr) -> QueryAs<'q, Postgres, O, PgArguments>
    where
        O: for<'r> FromRow<'r, PgRow>,
    {
        sqlx::query_as(sql.clone()).persistent(self.named())
    }

    /// A connection for one call outside a caller's transaction (see [`Session`]).
    pub(crate) async fn session(&self) -> Result<Session> {
        Ok(match self.pooler {
            Pooler::Transaction => Session::Own(self.begin().await?),
            _ => Session::Direct(self.pool.acquire().await?),
        })
    }

    /// [`PostgresStore::session`] for the worker's claims and batch outcome writes: a connection
    /// of the hot pool where there is one (see the field `hot`).
    async fn hot_session(&self) -> Result<Session> {
        match &self.hot {
            Some(hot) => Ok(Session::Direct(hot.acquire().await?)),
            None => self.session().await,
        }
    }

    /// Begins a transaction; behind a pooler the session settings ride along as `SET LOCAL`,
    /// in the same round trip.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(if self.pooler.any() {
            self.pool.begin_with(self.sql.begin_pooled.clone()).await?
        } else {
            self.pool.begin().await?
        })
    }

    pub(crate) async fn migrate(&self) -> Result<MigrationReport> {
        let mut tx = self.begin().await?;
        self.lock_migrations(&mut tx).await?;
        let report = migrator::apply_pending::<Postgres>(
            &mut tx,
            migration_sql!(self.sql, self.named()),
            self.schema(),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Takes the transaction-scoped advisory lock `migrate` and `migrate_down` share.
    async fn lock_migrations(&self, conn: &mut PgConnection) -> Result<()> {
        self.query(&self.sql.migration_lock)
            .bind(self.prefix.as_str())
            .execute(conn)
            .await?;
        Ok(())
    }

    fn schema(&self) -> migrator::Schema<'_> {
        migrator::Schema {
            prefix: &self.prefix,
            up: MIGRATIONS,
            down: DOWN_MIGRATIONS,
        }
    }

    pub(crate) async fn push_many(&self, rows: &[NewCommand]) -> Result<Vec<Pushed>> {
        let mut session = self.session().await?;
        let pushed = self.push_on(&mut session, rows).await?;
        session.done().await?;
        Ok(pushed)
    }

    /// Inserts on the caller's connection, skipping rows whose unique key is held; returns the
    /// ids inserted (see `unique.rs` for the rest of a push).
    async fn insert_rows(&self, conn: &mut PgConnection, rows: &[NewCommand]) -> Result<Vec<Uuid>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut targets = Vec::with_capacity(rows.len());
        let mut names = Vec::with_capacity(rows.len());
        let mut inputs = Vec::with_capacity(rows.len());
        let mut delays = Vec::with_capacity(rows.len());
        let mut timeouts = Vec::with_capacity(rows.len());
        let mut retries = Vec::with_capacity(rows.len());
        let mut parents = Vec::with_capacity(rows.len());
        let mut priorities = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        let mut states = Vec::with_capacity(rows.len());
        for r in rows {
            ids.push(r.id);
            targets.push(r.target.as_str());
            names.push(r.name.as_str());
            inputs.push(r.input.as_str());
            delays.push(micros(r.delay));
            timeouts.push(micros(r.timeout));
            retries.push(r.retries);
            parents.push(r.parent_id);
            priorities.push(r.priority);
            keys.push(r.unique_key.as_deref());
            states.push(r.unique_states);
        }
        // Without a key a row can only conflict on its fresh id, which is an error anyway.
        let unique = rows.iter().any(|r| r.unique_key.is_some());
        let statement = if unique {
            self.sql.push_unique.clone()
        } else {
            self.sql.push.clone()
        };
        let query = self
            .query(&statement)
            .bind(ids)
            .bind(targets)
            .bind(names)
            .bind(inputs)
            .bind(delays)
            .bind(timeouts)
            .bind(retries)
            .bind(parents)
            .bind(&*self.channel)
            .bind(priorities)
            .bind(keys)
            .bind(states);
        if unique {
            let inserted = query.fetch_all(conn).await?;
            return inserted.iter().map(|r| r.uuid("id")).collect();
        }
        query.execute(conn).await?;
        Ok(rows.iter().map(|r| r.id).collect())
    }

    pub(crate) async fn claim(&self, p: ClaimParams<'_>) -> Result<Vec<ClaimedCommand>> {
        Ok(alone!(on self.hot_session(), |c| self.claim_on(c, p)))
    }

    /// The claim statement on a pool or inside a transaction (a fleet-limited claim's).
    async fn claim_on(
        &self,
        conn: &mut PgConnection,
        p: ClaimParams<'_>,
    ) -> Result<Vec<ClaimedCommand>> {
        let rows = self
            .query(&self.sql.claim)
            .bind(p.target)
            .bind(p.names)
            .bind(i64::try_from(p.limit).unwrap_or(i64::MAX))
            .bind(micros(p.lease))
            .bind(p.worker)
            .fetch_all(conn)
            .await?;
        rows::all(&rows, rows::claimed)
    }

    pub(crate) async fn next_due(
        &self,
        target: &str,
        names: &[String],
    ) -> Result<Option<Duration>> {
        let secs: Option<f64> = alone!(self, |c| self
            .scalar(&self.sql.next_due)
            .bind(target)
            .bind(names)
            .fetch_one(c));
        Ok(secs.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)))
    }

    pub(crate) async fn renew_leases(
        &self,
        leases: &[Lease],
        lease: Duration,
    ) -> Result<Vec<RenewedLease>> {
        let ids: Vec<Uuid> = leases.iter().map(|l| l.id).collect();
        let tokens: Vec<Uuid> = leases.iter().map(|l| l.token).collect();
        let rows = alone!(self, |c| self
            .query(&self.sql.renew_leases)
            .bind(ids)
            .bind(tokens)
            .bind(micros(lease))
            .fetch_all(c));
        rows::all(&rows, rows::renewed)
    }

    pub(crate) async fn record_outcomes(&self, transitions: &[Transition]) -> Result<Vec<Uuid>> {
        // Without follow-ups or workflow steps the one statement is its own transaction: one
        // round trip, not three.
        if transitions
            .iter()
            .all(|t| t.follow_ups.is_empty() && !t.step)
        {
            return Ok(alone!(on self.hot_session(), |c| self
                .update_outcomes(transitions)
                .fetch_all(c)));
        }
        let mut tx = self.begin().await?;
        let applied = self.record_outcomes_on(&mut tx, transitions).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Writes outcomes, their follow-ups and the workflow steps they release inside the
    /// caller's transaction (the completer's, or a handler's own); returns the ids applied.
    pub(crate) async fn record_outcomes_on(
        &self,
        conn: &mut PgConnection,
        transitions: &[Transition],
    ) -> Result<Vec<Uuid>> {
        let applied: Vec<Uuid> = self
            .update_outcomes(transitions)
            .fetch_all(&mut *conn)
            .await?;
        let follow_ups = super::follow_ups_of_applied(transitions, &applied);
        self.push_on(&mut *conn, &follow_ups).await?;
        let ended = crate::workflow::release::ended(transitions, &applied);
        if !ended.is_empty() {
            self.release_on(conn, &ended).await?;
        }
        Ok(applied)
    }

    /// The fenced update of `record_outcomes.sql` for a batch; yields the ids it applied.
    fn update_outcomes<'a>(
        &'a self,
        transitions: &'a [Transition],
    ) -> sqlx::query::QueryScalar<'a, Postgres, Uuid, sqlx::postgres::PgArguments> {
        let n = transitions.len();
        let (mut ids, mut tokens, mut kinds, mut outputs) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut retries, mut delays, mut errors, mut error_kinds) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut attempt_outcomes = Vec::with_capacity(n);
        for t in transitions {
            let cols = t.columns();
            ids.push(t.id);
            tokens.push(t.lease_token);
            kinds.push(cols.kind);
            outputs.push(cols.output);
            retries.push(t.retries_left);
            delays.push(cols.delay.map(micros).unwrap_or(0));
            errors.push(cols.error);
            error_kinds.push(cols.error_kind.map(FailureKind::as_str));
            attempt_outcomes.push(cols.attempt_outcome);
        }
        self.scalar(&self.sql.record_outcomes)
            .bind(ids)
            .bind(tokens)
            .bind(kinds)
            .bind(outputs)
            .bind(retries)
            .bind(delays)
            .bind(errors)
            .bind(error_kinds)
            .bind(&*self.channel)
            .bind(attempt_outcomes)
    }

    pub(crate) async fn request_cancel(&self, id: Uuid) -> Result<Option<CancelRequest>> {
        let row = alone!(self, |c| self
            .query(&self.sql.request_cancel)
            .bind(id)
            .bind(&*self.channel)
            .fetch_optional(c));
        row.as_ref().map(rows::cancel_request).transpose()
    }

    pub(crate) async fn get(&self, id: Uuid) -> Result<Option<CommandRecord>> {
        let row = alone!(self, |c| self
            .query(&self.sql.get)
            .bind(id)
            .fetch_optional(c));
        row.as_ref().map(rows::record).transpose()
    }

    pub(crate) async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        let rows = alone!(self, |c| self
            .query(&self.sql.attempts)
            .bind(id)
            .fetch_all(c));
        rows::all(&rows, rows::attempt)
    }

    pub(crate) async fn heartbeat(&self, b: &WorkerBeat) -> Result<()> {
        alone!(self, |c| self
            .query(&self.sql.register_worker)
            .bind(b.worker_id)
            .bind(&b.instance_key)
            .bind(&b.host)
            .bind(b.pid)
            .bind(b.version)
            .bind(&b.names)
            .bind(i32::try_from(b.max_command_pull).unwrap_or(i32::MAX))
            .bind(b.lease_ms)
            .bind(i32::try_from(b.in_flight).unwrap_or(i32::MAX))
            .execute(c));
        Ok(())
    }

    pub(crate) async fn sweep_workers(&self) -> Result<u64> {
        let done = alone!(self, |c| self.query(&self.sql.sweep_workers).execute(c));
        Ok(done.rows_affected())
    }

    pub(crate) async fn deregister_worker(&self, id: Uuid) -> Result<()> {
        alone!(self, |c| self
            .query(&self.sql.deregister_worker)
            .bind(id)
            .execute(c));
        Ok(())
    }

    pub(crate) async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let rows = alone!(self, |c| self.query(&self.sql.workers).fetch_all(c));
        rows::all(&rows, rows::worker)
    }

    pub(crate) async fn unhandled(&self, older_than: Duration) -> Result<Vec<Unhandled>> {
        let rows = alone!(self, |c| self
            .query(&self.sql.unhandled)
            .bind(micros(older_than))
            .fetch_all(c));
        rows::all(&rows, rows::unhandled)
    }

    /// A listener on this table's wake-up channel; `None` when nothing can carry LISTEN.
    pub(crate) async fn listen(&self) -> Result<Option<PgListener>> {
        let Some(pool) = &self.listen else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(&self.channel).await?;
        Ok(Some(listener))
    }
}

impl Columns for PgRow {
    native_columns!();

    fn uuid(&self, column: &'static str) -> Result<Uuid> {
        Ok(self.try_get(column)?)
    }

    fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>> {
        Ok(self.try_get(column)?)
    }

    fn time(&self, column: &'static str) -> Result<DateTime<Utc>> {
        Ok(self.try_get(column)?)
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(column)?)
    }

    fn span(&self, column: &'static str) -> Result<Duration> {
        interval(self.try_get(column)?)
    }
}

fn interval(value: sqlx::postgres::types::PgInterval) -> Result<Duration> {
    let total = i64::from(value.months) * 30 * 86_400_000_000
        + i64::from(value.days) * 86_400_000_000
        + value.microseconds;
    u64::try_from(total)
        .map(Duration::from_micros)
        .map_err(|_| Error::Corrupt {
            column: "timeout",
            reason: format!("negative interval {value:?}"),
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{ClaimParams, Store, TablePrefix};
    use crate::store::Pooler;

    fn url() -> String {
        std::env::var("ORCH_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/orchestratum_test".into())
    }

    async fn plan_cache_mode(pool: &sqlx::PgPool) -> String {
        sqlx::query_scalar("SHOW plan_cache_mode")
            .fetch_one(pool)
            .await
            .expect("SHOW plan_cache_mode")
    }

    /// The claim and the batch outcome write run on the hot pool, whose connections plan
    /// generically; the store's other connections keep the server's setting; behind a
    /// transaction-mode pooler, where a setting would stay on a server connection another
    /// client gets next, there is no hot pool.
    #[tokio::test]
    async fn claims_and_outcome_writes_plan_generically_on_direct_connections() {
        let prefix = format!("u{}_", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let store = Store::connect(&url(), TablePrefix::new(&prefix).unwrap())
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        let Store::Postgres(pg) = &store else {
            unreachable!("a PostgreSQL URL")
        };
        let hot = pg.hot.as_ref().expect("a hot pool on a direct connection");
        assert_eq!(hot.size(), 0, "opened only when first used");
        assert!(pg.record_outcomes(&[]).await.expect("write").is_empty());
        assert_eq!(hot.size(), 1, "the outcome write used the hot pool");
        assert_eq!(plan_cache_mode(hot).await, "force_generic_plan");

        let other = Store::connect(&url(), TablePrefix::new(&prefix).unwrap())
            .await
            .expect("connect");
        let Store::Postgres(other) = &other else {
            unreachable!("a PostgreSQL URL")
        };
        let names = ["noop".to_owned()];
        let claimed = other
            .claim(ClaimParams {
                target: "test",
                names: &names,
                limit: 10,
                lease: Duration::from_secs(30),
                worker: uuid::Uuid::new_v4(),
            })
            .await
            .expect("claim");
        assert!(claimed.is_empty());
        let other_hot = other.hot.as_ref().expect("a hot pool");
        assert_eq!(other_hot.size(), 1, "the claim used the hot pool");
        assert_ne!(plan_cache_mode(pg.pool()).await, "force_generic_plan");

        let pooled = Store::connect_pooled(
            &url(),
            TablePrefix::new(&prefix).unwrap(),
            Some(Pooler::Transaction),
            None,
        )
        .await
        .expect("connect pooled");
        let Store::Postgres(pooled) = &pooled else {
            unreachable!("a PostgreSQL URL")
        };
        assert!(pooled.hot.is_none());

        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE tablename LIKE $1 || '%'",
        )
        .bind(&prefix)
        .fetch_all(pg.pool())
        .await
        .expect("tables");
        let drop = format!("DROP TABLE IF EXISTS {} CASCADE", tables.join(", "));
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(pg.pool())
            .await
            .expect("drop");
    }

    #[test]
    fn pooled_begin_sets_the_idle_timeout_of_direct_sessions() {
        let millis = super::super::IDLE_IN_TRANSACTION_TIMEOUT.as_millis();
        let sql = include_str!("sql/begin_pooled.sql");
        assert!(
            sql.contains(&format!(
                "SET LOCAL idle_in_transaction_session_timeout = {millis}"
            )),
            "{sql}"
        );
    }
}
