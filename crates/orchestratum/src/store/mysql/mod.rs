//! `MySqlStore`: the store's operations as MySQL 8 / MariaDB 10.6+ statements (one `.sql` file
//! each). One text serves both servers, so it uses neither server's extensions:
//!
//! - **No `RETURNING`.** MariaDB has none for `UPDATE`, MySQL none at all. An operation that must
//!   report what it changed runs a locking read (`*_lock.sql`) and the write in one transaction,
//!   or the write and then a read back (`*_read.sql`). The claim does both: it locks with
//!   `SELECT … FOR UPDATE SKIP LOCKED` under `READ COMMITTED` (so it neither waits for other
//!   claims nor takes gap locks that would hold up pushes), updates the rows it locked with a
//!   fresh lease token each, generated here, and reads them back.
//! - **Batches travel as one JSON array** read with `JSON_TABLE` (MySQL 8.0.4+, MariaDB 10.6+), so
//!   every statement's text is static and prepared once, whatever the batch size. Ids read from
//!   JSON are converted to `ascii`, the primary key's character set, or the server would convert
//!   the key instead and scan the table. The array drives the join (`JSON_TABLE(…) AS j
//!   STRAIGHT_JOIN t FORCE INDEX (PRIMARY)`): on a small table the optimizer would otherwise
//!   scan `t` and lock rows other transactions are inserting, so concurrent workflow pushes
//!   deadlocked. Batches are split by size (`batch.rs`) to stay under `max_allowed_packet`.
//! - **The database clock:** instants are `DATETIME(6)` in UTC, written from `UTC_TIMESTAMP(6)`
//!   (never `NOW()`, which follows the session's time zone). The timeout is `TIME(6)`, as Pomelo
//!   maps a `TimeSpan`, so it is at most 838:59:59: a longer one is refused at push.
//! - **DDL is not transactional:** each migration, up or down, is one statement (applied whole
//!   or not at all), run under a named lock (`GET_LOCK`) held by one connection taken out of the
//!   pool (see `MySqlStore::migrate`). The operators' operations are in `admin.rs`.

mod admin;
mod batch;
mod flow;
mod overview;
mod schedules;
mod search;
mod stats;
mod unique;
mod workflows;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::mysql::types::MySqlTime;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlRow};
use sqlx::pool::PoolOptions;
use sqlx::{AssertSqlSafe, Connection, MySql, MySqlConnection, Row, Transaction};
use uuid::Uuid;

use super::migrator::{self, migration_sql};
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
    (3, "0003_claim_index_and_autovacuum", "no target index (the unfinished index already serves the claim's order)", false),
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
    fragments(claimable);
    // Workflows (`workflows.rs`).
    add_workflow_edges,
    add_workflow_steps,
    cancel_workflow,
    cancel_workflow_lock,
    count_parents,
    counted_steps,
    mark_workflow_steps,
    parent_steps,
    release_steps,
    resolve_edges,
    resolve_edges_lock,
    workflow_edges,
    workflow_steps,
    applied_migrations,
    attempts,
    deregister_worker,
    register_worker,
    sweep_workers,
    unhandled,
    workers,
    claim,
    claim_lapsed,
    claim_candidates,
    claim_lock,
    claim_scan,
    commands_table_exists,
    get,
    max_allowed_packet,
    migration_lock,
    migration_unlock,
    migrations_table,
    next_due,
    push,
    push_unique,
    unique_holders,
    record_migration,
    record_attempts,
    record_outcomes,
    record_outcomes_lock,
    record_outcomes_savepoint,
    record_outcomes_undo,
    renew_leases,
    renew_leases_read,
    request_cancel,
    request_cancel_lock,
    // Flow control (`flow.rs`).
    control_fleet_limit,
    control_lock,
    control_pause,
    control_read,
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
    retry_lock,
    summary,
    // The dashboard overview (`overview.rs`).
    finished_since,
    first_target,
    next_target,
    overview_expired,
    overview_unfinished,
    table_rows,
    // Per-minute stats (`stats.rs`).
    add_stats,
    prune_stats,
    stats,
);

/// How long `migrate` waits for another instance's migration before it gives up.
const MIGRATION_LOCK_WAIT: Duration = Duration::from_secs(300);
/// The claim's, the outcome writes' (and prune's) transaction: `READ COMMITTED` keeps locks
/// only on the rows it returns or changes (no gap locks, and scanned rows that do not match are
/// released), so concurrent pushes and claims never wait for it.
const BEGIN_READ_COMMITTED: &str =
    "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION";
/// The longest `TIME(6)` value MySQL accepts (MariaDB accepts up to 838:59:59.999999).
const TIME_MAX: Duration = Duration::from_secs(838 * 3600 + 59 * 60 + 59);
const TIME_REASON: &str = "MySQL stores the timeout as TIME(6), whose maximum is 838:59:59";
/// What this backend stores: a timeout only up to `TIME(6)`'s maximum.
pub(crate) const LIMITS: super::Limits = super::Limits {
    max_timeout: TIME_MAX,
    max_delay: super::MAX_DURATION,
    timeout_reason: TIME_REASON,
};

/// The commands table of one prefix in one MySQL or MariaDB database.
#[derive(Clone)]
pub struct MySqlStore {
    pool: MySqlPool,
    prefix: TablePrefix,
    sql: Arc<Statements>,
    /// The server's `max_allowed_packet`, read once.
    max_packet: Arc<tokio::sync::OnceCell<usize>>,
}

impl MySqlStore {
    /// Connects a pool; fails at once if the server cannot be reached.
    pub async fn connect(
        options: MySqlConnectOptions,
        url: &str,
        prefix: TablePrefix,
    ) -> Result<Self> {
        // MariaDB ends a session idle in a transaction after `idle_transaction_timeout`; MySQL
        // has no such setting and reads the `/*M! … */` part as a comment.
        let session = format!(
            "SET /*M! SESSION idle_transaction_timeout = {}, */ @orchestratum_session = 1",
            super::IDLE_IN_TRANSACTION_TIMEOUT.as_secs()
        );
        let pool = PoolOptions::new().after_connect(move |conn, _| {
            let session = session.clone();
            Box::pin(async move {
                sqlx::raw_sql(AssertSqlSafe(session)).execute(conn).await?;
                Ok(())
            })
        });
        let pool = super::connect_server_pool(options, pool, url).await?;
        Ok(Self::from_pool(pool, prefix))
    }

    /// Uses a pool the application already has.
    pub fn from_pool(pool: MySqlPool, prefix: TablePrefix) -> Self {
        Self {
            sql: Arc::new(Statements::render(&prefix)),
            pool,
            prefix,
            max_packet: Arc::default(),
        }
    }

    /// Refuses a statement parameter the server would refuse as a packet too large: it may
    /// answer that by resetting the connection, which would look like an outage.
    async fn check_packet(
        &self,
        conn: &mut MySqlConnection,
        what: &'static str,
        json: &str,
    ) -> Result<()> {
        // Read (once) on the connection in hand: a second one from the pool would wait forever
        // when concurrent first writes hold every pooled connection in their transactions.
        let limit = *self
            .max_packet
            .get_or_try_init(|| async {
                let bytes: u64 = sqlx::query_scalar(self.sql.max_allowed_packet.clone())
                    .fetch_one(conn)
                    .await?;
                Ok::<_, Error>(usize::try_from(bytes).unwrap_or(usize::MAX))
            })
            .await?;
        batch::check_size(what, json, limit)
    }

    /// The pool, for callers that want to share it.
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    /// Begins a transaction at the server's default isolation.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, MySql>> {
        self.begin_with("START TRANSACTION").await
    }

    /// Begins a `READ COMMITTED` transaction (see [`BEGIN_READ_COMMITTED`]).
    pub(crate) async fn begin_read_committed(&self) -> Result<Transaction<'static, MySql>> {
        self.begin_with(BEGIN_READ_COMMITTED).await
    }

    /// Begins a transaction that a dropped caller cannot leave open. sqlx's MySQL `begin`
    /// counts the transaction only once the server has answered, so a caller dropped in
    /// between (a timeout around a store call, a handler's timeout) returned the connection to
    /// the pool inside a transaction nobody would end: every later `SET TRANSACTION` on it
    /// failed, and its autocommit writes never committed. In a task of its own the begin
    /// always completes; if the caller is gone by then, the transaction is dropped, which rolls
    /// it back before the connection is reused.
    async fn begin_with(&self, statement: &'static str) -> Result<Transaction<'static, MySql>> {
        let pool = self.pool.clone();
        match tokio::spawn(async move { pool.begin_with(statement).await }).await {
            Ok(begun) => Ok(begun?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(sqlx::Error::PoolClosed.into()),
        }
    }

    /// Applies pending migrations under a named lock (`GET_LOCK`) that one connection, taken out
    /// of the pool, holds from start to end, so instances starting at once migrate one at a time.
    ///
    /// MySQL commits every DDL statement on its own: a migration cannot be rolled back. Each of
    /// ours is therefore a single statement, applied whole or not at all, and recorded in
    /// `{prefix}schema_migrations` right after. If the process dies between the two, the next
    /// run repeats the statement and fails with the server's error (for example a duplicate
    /// column): the schema is then complete, and recording the version by hand resolves it.
    pub(crate) async fn migrate(&self) -> Result<MigrationReport> {
        let mut conn = self.lock_migrations().await?;
        let result =
            migrator::apply_pending::<MySql>(&mut conn, migration_sql!(self.sql), self.schema())
                .await;
        self.unlock_migrations(conn).await;
        result
    }

    /// Takes the migration lock (`migrate` and `migrate_down` share it) on a connection taken
    /// out of the pool, waiting at most `MIGRATION_LOCK_WAIT`.
    ///
    /// The lock belongs to the session: a connection taken out of the pool for good cannot go
    /// back to it still holding the lock, even if the caller's future is dropped halfway (the
    /// connection then closes, and the server releases the lock).
    async fn lock_migrations(&self) -> Result<MySqlConnection> {
        let mut conn = self.pool.acquire().await?.detach();
        let wait = i64::try_from(MIGRATION_LOCK_WAIT.as_secs()).unwrap_or(i64::MAX);
        let locked: Option<i64> = sqlx::query_scalar(self.sql.migration_lock.clone())
            .bind(self.prefix.as_str())
            .bind(wait)
            .fetch_one(&mut conn)
            .await?;
        if locked != Some(1) {
            let _ = conn.close().await;
            return Err(Error::MigrationLockTimeout {
                waited: MIGRATION_LOCK_WAIT,
            });
        }
        Ok(conn)
    }

    /// Releases the migration lock and closes its connection.
    async fn unlock_migrations(&self, mut conn: MySqlConnection) {
        // Releasing explicitly spares the next instance a wait for the connection to close; if
        // it fails, closing releases the lock all the same.
        let _ = sqlx::query_scalar::<_, Option<i64>>(self.sql.migration_unlock.clone())
            .bind(self.prefix.as_str())
            .fetch_one(&mut conn)
            .await;
        let _ = conn.close().await;
    }

    fn schema(&self) -> migrator::Schema<'_> {
        migrator::Schema {
            prefix: &self.prefix,
            up: MIGRATIONS,
            down: DOWN_MIGRATIONS,
        }
    }

    pub(crate) async fn push_many(&self, rows: &[NewCommand]) -> Result<Vec<Pushed>> {
        self.push_in_own_transaction(rows).await
    }

    /// Inserts on the caller's connection, skipping rows whose unique key is held (MySQL
    /// cannot say which; see `unique.rs` for the rest of a push).
    async fn insert_rows(&self, conn: &mut MySqlConnection, rows: &[NewCommand]) -> Result<()> {
        let items = rows
            .iter()
            .map(|r| {
                Ok(PushItem {
                    id: r.id.hyphenated().to_string(),
                    target: &r.target,
                    name: &r.name,
                    input: &r.input,
                    delay_us: micros(r.delay),
                    timeout: time_text(&r.name, r.timeout)?,
                    retries: r.retries,
                    parent_id: r.parent_id.map(|p| p.hyphenated().to_string()),
                    priority: r.priority,
                    unique_key: r.unique_key.as_deref(),
                    unique_states: r.unique_states,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Without a key a row can only conflict on its fresh id, which is an error anyway.
        let statement = if rows.iter().any(|r| r.unique_key.is_some()) {
            &self.sql.push_unique
        } else {
            &self.sql.push
        };
        for json in batch::json_arrays(&items)? {
            self.check_packet(conn, "push", &json).await?;
            sqlx::query(statement.clone())
                .bind(json)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn claim(&self, p: ClaimParams<'_>) -> Result<Vec<ClaimedCommand>> {
        let mut tx = self.begin_read_committed().await?;
        let claimed = self.claim_in(&mut tx, p).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// The claim's statements inside its `READ COMMITTED` transaction.
    async fn claim_in(
        &self,
        tx: &mut sqlx::MySqlConnection,
        p: ClaimParams<'_>,
    ) -> Result<Vec<ClaimedCommand>> {
        let names = batch::to_json(p.names)?;
        let token = Uuid::new_v4().hyphenated().to_string();
        let limit = i64::try_from(p.limit).unwrap_or(i64::MAX);
        let candidates: Vec<String> = sqlx::query_scalar(self.sql.claim_candidates.clone())
            .bind(p.target)
            .bind(p.target)
            .bind(&names)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        let mut picked = Vec::new();
        for ids in batch::id_lists(&candidates) {
            let lock = sqlx::query(ids.render(&self.sql.claim_lock)).bind(&token);
            picked.extend(ids.bind(lock).fetch_all(&mut *tx).await?);
        }
        if picked.len() < candidates.len() {
            // Another worker took some candidates between the read and the lock: look again,
            // locking as it goes. The rows locked above and not picked now stay as they are.
            picked = sqlx::query(self.sql.claim_scan.clone())
                .bind(&token)
                .bind(p.target)
                .bind(p.target)
                .bind(names)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
        }
        if picked.is_empty() {
            return Ok(Vec::new());
        }
        let mut claimed = rows::all(&picked, rows::claimed)?;
        let mut lapsed = Vec::new();
        for (c, row) in claimed.iter_mut().zip(&picked) {
            let was_running = row.try_get::<bool, _>("lapsed")?;
            // What `claim.sql` writes.
            c.attempt += 1;
            c.retries_left -= i32::from(was_running);
            if was_running {
                lapsed.push(c.id.hyphenated().to_string());
            }
        }
        if !lapsed.is_empty() {
            sqlx::query(self.sql.claim_lapsed.clone())
                .bind(batch::to_json(&lapsed)?)
                .execute(&mut *tx)
                .await?;
        }
        let ids: Vec<String> = claimed
            .iter()
            .map(|c| c.id.hyphenated().to_string())
            .collect();
        for ids in batch::id_lists(&ids) {
            let claim = sqlx::query(ids.render(&self.sql.claim))
                .bind(micros(p.lease))
                .bind(&token)
                .bind(p.worker.hyphenated().to_string());
            ids.bind(claim).execute(&mut *tx).await?;
        }
        Ok(claimed)
    }

    pub(crate) async fn next_due(
        &self,
        target: &str,
        names: &[String],
    ) -> Result<Option<Duration>> {
        let micros: Option<i64> = sqlx::query_scalar(self.sql.next_due.clone())
            .bind(target)
            .bind(target)
            .bind(batch::to_json(names)?)
            .fetch_one(&self.pool)
            .await?;
        Ok(micros.map(|us| Duration::from_micros(u64::try_from(us).unwrap_or(0))))
    }

    pub(crate) async fn renew_leases(
        &self,
        leases: &[Lease],
        lease: Duration,
    ) -> Result<Vec<RenewedLease>> {
        let items: Vec<_> = leases
            .iter()
            .map(|l| LeaseItem {
                id: l.id.hyphenated().to_string(),
                token: l.token.hyphenated().to_string(),
            })
            .collect();
        // No transaction is needed: a token, once replaced, never comes back, so a row that
        // still holds its token after the update held it during the update and was renewed.
        // (The other way round, read then update, could report a lease that lapsed and was
        // claimed by another worker in between.)
        let mut renewed = Vec::with_capacity(leases.len());
        for json in batch::json_arrays(&items)? {
            sqlx::query(self.sql.renew_leases.clone())
                .bind(&json)
                .bind(micros(lease))
                .execute(&self.pool)
                .await?;
            for row in sqlx::query(self.sql.renew_leases_read.clone())
                .bind(&json)
                .fetch_all(&self.pool)
                .await?
            {
                renewed.push(rows::renewed(&row)?);
            }
        }
        Ok(renewed)
    }

    pub(crate) async fn record_outcomes(&self, transitions: &[Transition]) -> Result<Vec<Uuid>> {
        // READ COMMITTED: the edge and step reads of a workflow release take no gap locks,
        // which would make a concurrent workflow push, inserting edges at the end of the same
        // index, wait for this write or deadlock with it.
        let mut tx = self.begin_read_committed().await?;
        let applied = self.record_outcomes_on(&mut tx, transitions).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Writes outcomes, their follow-ups and the workflow steps they release inside the
    /// caller's transaction (the completer's, or a handler's own); returns the ids applied.
    pub(crate) async fn record_outcomes_on(
        &self,
        conn: &mut MySqlConnection,
        transitions: &[Transition],
    ) -> Result<Vec<Uuid>> {
        let items: Vec<_> = transitions
            .iter()
            .map(|t| {
                let cols = t.columns();
                OutcomeItem {
                    id: t.id.hyphenated().to_string(),
                    token: t.lease_token.map(|l| l.hyphenated().to_string()),
                    kind: cols.kind,
                    output: cols.output,
                    retries_left: t.retries_left,
                    delay_us: cols.delay.map(micros).unwrap_or(0),
                    error: cols.error,
                    error_kind: cols.error_kind.map(FailureKind::as_str),
                    outcome: cols.attempt_outcome,
                }
            })
            .collect();
        let mut applied = Vec::with_capacity(transitions.len());
        for (chunk, json) in batch::chunks(&items)? {
            self.check_packet(conn, "outcome", &json).await?;
            let passing = self.write_fenced(conn, chunk, json).await?;
            let attempts: Vec<&&OutcomeItem> =
                passing.iter().filter(|i| i.outcome.is_some()).collect();
            if !attempts.is_empty() {
                // The rows stay locked, and the outcome left the columns this reads as they were.
                sqlx::query(self.sql.record_attempts.clone())
                    .bind(batch::to_json(&attempts)?)
                    .execute(&mut *conn)
                    .await?;
            }
            for item in passing {
                applied.push(rows::parse_uuid("id", &item.id)?);
            }
        }
        let follow_ups = super::follow_ups_of_applied(transitions, &applied);
        self.push_on(&mut *conn, &follow_ups).await?;
        let ended = crate::workflow::release::ended(transitions, &applied);
        if !ended.is_empty() {
            self.release_on(conn, &ended).await?;
        }
        Ok(applied)
    }

    /// Writes the outcomes of `chunk` (`json` is its JSON array) whose fence holds; returns
    /// those. Nearly always every fence holds: the batch is written whole, in one statement, and
    /// the count of rows it matched shows that it did. Otherwise that write is undone, the
    /// outcomes that pass are found (`record_outcomes_lock`, which locks their rows) and
    /// written alone.
    async fn write_fenced<'a, 'b>(
        &self,
        conn: &mut MySqlConnection,
        chunk: &'a [OutcomeItem<'b>],
        json: String,
    ) -> Result<Vec<&'a OutcomeItem<'b>>> {
        sqlx::query(self.sql.record_outcomes_savepoint.clone())
            .execute(&mut *conn)
            .await?;
        let matched = sqlx::query(self.sql.record_outcomes.clone())
            .bind(&json)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if usize::try_from(matched).is_ok_and(|m| m == chunk.len()) {
            return Ok(chunk.iter().collect());
        }
        sqlx::query(self.sql.record_outcomes_undo.clone())
            .execute(&mut *conn)
            .await?;
        // Positions (from 1) of the outcomes whose fence holds.
        let passed: Vec<i64> = sqlx::query_scalar(self.sql.record_outcomes_lock.clone())
            .bind(json)
            .fetch_all(&mut *conn)
            .await?;
        let passing: Vec<&OutcomeItem<'b>> = passed
            .iter()
            .filter_map(|&pos| usize::try_from(pos - 1).ok().and_then(|i| chunk.get(i)))
            .collect();
        if !passing.is_empty() {
            sqlx::query(self.sql.record_outcomes.clone())
                .bind(batch::to_json(&passing)?)
                .execute(&mut *conn)
                .await?;
        }
        Ok(passing)
    }

    pub(crate) async fn request_cancel(&self, id: Uuid) -> Result<Option<CancelRequest>> {
        let id = id.hyphenated().to_string();
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query(self.sql.request_cancel_lock.clone())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let request = rows::cancel_request(&row)?;
        sqlx::query(self.sql.request_cancel.clone())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(request))
    }

    pub(crate) async fn get(&self, id: Uuid) -> Result<Option<CommandRecord>> {
        let row = sqlx::query(self.sql.get.clone())
            .bind(id.hyphenated().to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::record).transpose()
    }

    pub(crate) async fn heartbeat(&self, b: &WorkerBeat) -> Result<()> {
        sqlx::query(self.sql.register_worker.clone())
            .bind(b.worker_id.hyphenated().to_string())
            .bind(&b.instance_key)
            .bind(&b.host)
            .bind(b.pid)
            .bind(b.version)
            .bind(&b.names)
            .bind(b.max_command_pull)
            .bind(b.lease_ms)
            .bind(b.in_flight)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn sweep_workers(&self) -> Result<u64> {
        let done = sqlx::query(self.sql.sweep_workers.clone())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn deregister_worker(&self, id: Uuid) -> Result<()> {
        sqlx::query(self.sql.deregister_worker.clone())
            .bind(id.hyphenated().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let rows = sqlx::query(self.sql.workers.clone())
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::worker)
    }

    pub(crate) async fn unhandled(&self, older_than: Duration) -> Result<Vec<Unhandled>> {
        let rows = sqlx::query(self.sql.unhandled.clone())
            .bind(micros(older_than))
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::unhandled)
    }

    pub(crate) async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(self.sql.attempts.clone())
            .bind(id.hyphenated().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::attempt)
    }
}

/// One element of the JSON array `push.sql` reads; a `None` is left out and reads as NULL.
#[derive(Serialize)]
struct PushItem<'a> {
    id: String,
    target: &'a str,
    name: &'a str,
    input: &'a str,
    delay_us: i64,
    timeout: String,
    retries: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    priority: i16,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_key: Option<&'a str>,
    unique_states: i16,
}

/// One element of the JSON array the `renew_leases*.sql` statements read.
#[derive(Serialize)]
struct LeaseItem {
    id: String,
    token: String,
}

/// One element of the JSON array the `record_outcomes*.sql` statements read.
#[derive(Serialize)]
struct OutcomeItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries_left: Option<i32>,
    delay_us: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_kind: Option<&'static str>,
    /// The outcome of the attempt it records, for a run that did not succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
}

/// A timeout as `TIME(6)` text (`hhh:mm:ss.ffffff`); refused beyond the type's 838:59:59.
fn time_text(name: &str, d: Duration) -> Result<String> {
    if d > TIME_MAX {
        return Err(Error::InvalidDuration {
            what: "timeout",
            name: name.to_owned(),
            value: d,
            reason: TIME_REASON,
        });
    }
    let s = d.as_secs();
    Ok(format!(
        "{}:{:02}:{:02}.{:06}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        d.subsec_micros()
    ))
}

impl Columns for MySqlRow {
    native_columns!();

    fn uuid(&self, column: &'static str) -> Result<Uuid> {
        rows::parse_uuid(column, &self.try_get::<String, _>(column)?)
    }

    fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>> {
        let text: Option<String> = self.try_get(column)?;
        text.map(|t| rows::parse_uuid(column, &t)).transpose()
    }

    fn time(&self, column: &'static str) -> Result<DateTime<Utc>> {
        Ok(self.try_get(column)?)
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(column)?)
    }

    /// A `TIME(6)` column.
    fn span(&self, column: &'static str) -> Result<Duration> {
        let time: MySqlTime = self.try_get(column)?;
        time.to_duration().ok_or_else(|| Error::Corrupt {
            column,
            reason: format!("negative time {time}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_become_time_text() {
        assert_eq!(
            time_text("x", Duration::from_secs(5)).unwrap(),
            "0:00:05.000000"
        );
        assert_eq!(
            time_text("x", Duration::from_micros(3_723_000_001)).unwrap(),
            "1:02:03.000001"
        );
        assert_eq!(time_text("x", TIME_MAX).unwrap(), "838:59:59.000000");
    }

    #[test]
    fn timeouts_past_time_max_are_refused() {
        let err = time_text("x", TIME_MAX + Duration::from_micros(1)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidDuration {
                    what: "timeout",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
