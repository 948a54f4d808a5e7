//! The library's one error type and its `Result` alias.

use std::time::Duration;

use uuid::Uuid;

/// Result of every fallible Orchestratum call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Orchestratum, with the context needed to act on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL could not be parsed.
    #[error("invalid database url `{url}`: {reason}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The URL names a database this build cannot talk to.
    #[error("unsupported database url scheme `{scheme}` (supported: {supported})")]
    UnsupportedScheme {
        /// The scheme found in the URL.
        scheme: String,
        /// The schemes this build supports.
        supported: &'static str,
    },

    /// The database could not be reached.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL with any password replaced by `***`.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// The table prefix has characters outside `[A-Za-z0-9_]`.
    #[error("invalid table prefix `{0}`: only ASCII letters, digits and `_` are allowed")]
    InvalidTablePrefix(String),

    /// A configuration value is out of range.
    #[error("invalid configuration: {option} {reason}")]
    InvalidConfig {
        /// The option's name (reference name, snake_case).
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A duration given to a push is not allowed (for example a zero timeout).
    #[error("invalid {what} {value:?} for command `{name}`: {reason}")]
    InvalidDuration {
        /// Which duration (timeout, delay).
        what: &'static str,
        /// The command's name.
        name: String,
        /// The value given.
        value: Duration,
        /// Why it is rejected.
        reason: &'static str,
    },

    /// A text given to a push cannot be stored (a NUL character in a name or target).
    #[error("invalid {what} `{value}` for command `{name}`: {reason}")]
    InvalidText {
        /// Which text (name, target).
        what: &'static str,
        /// The command's name, escaped.
        name: String,
        /// The value given, escaped.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },

    /// A command's input or output could not be turned into JSON.
    #[error("cannot serialize {what} of command `{name}`: {source}")]
    Serialize {
        /// `input` or `output`.
        what: &'static str,
        /// The command's name.
        name: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },

    /// Stored JSON no longer fits the Rust type that reads it.
    #[error("cannot deserialize {what} of command {id} (`{name}`): {source}")]
    Deserialize {
        /// `input` or `output`.
        what: &'static str,
        /// The command's id.
        id: Uuid,
        /// The command's name.
        name: String,
        /// The deserializer's error.
        #[source]
        source: serde_json::Error,
    },

    /// No command has this id.
    #[error("command {0} not found")]
    NotFound(Uuid),

    /// A schedule definition is invalid: a bad cron expression, an unknown time zone, an
    /// interval out of range, a missing command or a duplicate name.
    #[error("invalid schedule `{name}`: {reason}")]
    InvalidSchedule {
        /// The schedule's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No schedule has this name.
    #[error("schedule `{0}` not found")]
    ScheduleNotFound(String),

    /// A workflow or batch definition is invalid: no step, a duplicate or unknown step key, a
    /// cycle, a unique key on a step, or a name that cannot be stored.
    #[error("invalid workflow `{name}`: {reason}")]
    InvalidWorkflow {
        /// The workflow's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No workflow has this id.
    #[error("workflow {0} not found")]
    WorkflowNotFound(Uuid),

    /// A search cursor that this build did not make (or that was damaged on the way).
    #[error("invalid cursor `{0}`: pass back the `next` cursor of a page as it was given")]
    InvalidCursor(String),

    /// A search filter or page size that cannot be served.
    #[error("invalid filter: {0}")]
    InvalidFilter(String),

    /// A command that cannot be deleted now, and why (see `Admin::delete`).
    #[error("command {id} cannot be deleted: {reason}")]
    DeleteRefused {
        /// The command's id.
        id: Uuid,
        /// Why it is kept.
        reason: crate::store::DeleteRefusal,
    },

    /// A step's parents have no step with this key.
    #[error("no parent step `{0}`")]
    UnknownStep(String),

    /// The run no longer holds its command's lease (another worker may own it now): what it
    /// wanted to commit was rolled back.
    #[error("the lease on command {0} was lost; nothing was committed")]
    LeaseLost(Uuid),

    /// `Context::transaction` cannot give this run a transaction: the context was made by the
    /// `testing` module (no database behind it), or the run already completed its command.
    #[error("no completion transaction for command {id}: {reason}")]
    TransactionUnavailable {
        /// The command's id.
        id: Uuid,
        /// Why not.
        reason: &'static str,
    },

    /// The command exists but has another name than the type it was read as.
    #[error("command {id} is a `{found}`, not a `{expected}`")]
    WrongCommandType {
        /// The command's id.
        id: Uuid,
        /// The name of the type the caller asked for.
        expected: String,
        /// The name stored in the row.
        found: String,
    },

    /// Two handlers were registered for one command type.
    #[error("a handler for command `{0}` is already registered")]
    DuplicateHandler(String),

    /// Two different Rust types were registered under one stored name.
    #[error(
        "command name `{name}` is taken by `{first}`; `{second}` cannot use it too (override `fn name()`)"
    )]
    NameConflict {
        /// The stored name.
        name: String,
        /// The type registered first.
        first: &'static str,
        /// The type that clashed.
        second: &'static str,
    },

    /// A connection of one backend was used with a client of another.
    #[error("this client runs on {client}, but the connection given is {given}")]
    BackendMismatch {
        /// The client's backend.
        client: &'static str,
        /// The connection's backend.
        given: &'static str,
    },

    /// A schema migration failed; the transaction was rolled back.
    #[error("migration {version} ({description}) failed: {source}")]
    Migration {
        /// The version that failed.
        version: i64,
        /// Its description.
        description: &'static str,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },

    /// Another instance held the migration lock for longer than this one would wait (MySQL:
    /// `GET_LOCK`; PostgreSQL and SQLite wait as long as it takes).
    #[error("waited {waited:?} for the migration lock another instance holds; try again")]
    MigrationLockTimeout {
        /// How long this instance waited.
        waited: Duration,
    },

    /// The database has migrations newer than this build knows.
    #[error("database schema is at version {found}, newer than this build's {known}")]
    SchemaTooNew {
        /// Highest version applied in the database.
        found: i64,
        /// Highest version this build knows.
        known: i64,
    },

    /// A schema downgrade was refused because it is not safe; nothing was changed.
    #[error("refusing to migrate down from version {current} to {to}: {reason}")]
    DowngradeRefused {
        /// The version asked for.
        to: i64,
        /// The schema's version now.
        current: i64,
        /// Why it is refused, and what would allow it.
        reason: String,
    },

    /// Stored data has a shape the library did not expect (for example a malformed timestamp).
    #[error("unexpected value in column `{column}`: {reason}")]
    Corrupt {
        /// The column.
        column: &'static str,
        /// What was wrong.
        reason: String,
    },

    /// A command cannot become unfinished again (an operator's retry): another command now
    /// holds its unique key. Nothing was changed.
    #[error(
        "command {id} cannot be made pending again: another command holds its unique key `{key}`"
    )]
    UniqueKeyTaken {
        /// The command that was to be retried.
        id: Uuid,
        /// Its unique key.
        key: String,
    },

    /// A unique push kept finding its key's holder gone (finished between the insert and the
    /// read-back) and gave up; nothing was pushed. Trying again normally succeeds.
    #[error("unique key `{key}` changed hands too often during the push; try again")]
    UniqueKeyContended {
        /// The key.
        key: String,
    },

    /// A database call failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// A value is larger than the database accepts in one statement (MySQL's
    /// `max_allowed_packet`).
    #[error(
        "{what} of {bytes} bytes is larger than the server accepts (max_allowed_packet = {limit} bytes)"
    )]
    TooLarge {
        /// What was being written (push, outcome).
        what: &'static str,
        /// Its size as sent.
        bytes: usize,
        /// The server's limit.
        limit: usize,
    },

    /// A statement of the worker's did not return within the time allowed it (a silent or
    /// overloaded database).
    #[error("{0} took longer than allowed")]
    TimedOut(&'static str),

    /// The orchestrator was shut down.
    #[error("orchestratum has shut down")]
    ShutDown,
}

impl Error {
    /// True when the call may succeed if simply tried again: the connection broke or timed
    /// out, the server is restarting or overloaded, or a lock or serialization conflict aborted
    /// the transaction. False when the database refused what was sent (a value out of range, a
    /// constraint, bytes it cannot store): trying again would be refused again.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Error::Database(e) | Error::Connect { source: e, .. } => transient_sqlx(e),
            Error::TimedOut(_) => true,
            _ => false,
        }
    }
}

fn transient_sqlx(error: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    match error {
        E::Io(_) | E::Tls(_) | E::Protocol(_) | E::PoolTimedOut | E::PoolClosed => true,
        E::WorkerCrashed => true,
        E::Database(db) => transient_database_error(db.as_ref()),
        _ => false,
    }
}

/// PostgreSQL SQLSTATE classes 08 (connection), 53 (resources) and 57 (operator intervention:
/// shutdown, statement timeout), and the conflicts 40001, 40P01 and 55P03.
#[cfg(feature = "postgres")]
fn transient_sqlstate(code: &str) -> bool {
    ["08", "53", "57"]
        .iter()
        .any(|class| code.starts_with(class))
        || ["40001", "40P01", "55P03"].contains(&code)
}

/// MySQL/MariaDB error numbers: lock wait timeout, deadlock, too many connections, shutdown,
/// connection killed, gone away, lost connection, and the statement timeouts.
#[cfg(feature = "mysql")]
const MYSQL_TRANSIENT: [u16; 9] = [1205, 1213, 1040, 1053, 1927, 2006, 2013, 3024, 1969];

/// SQLite primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
#[cfg(feature = "sqlite")]
const SQLITE_TRANSIENT: [i32; 5] = [5, 6, 10, 13, 14];

#[allow(unused_variables)]
fn transient_database_error(db: &dyn sqlx::error::DatabaseError) -> bool {
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return transient_sqlstate(pg.code());
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return MYSQL_TRANSIENT.contains(&my.number());
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // The extended result code; its low byte is the primary code.
        return db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| SQLITE_TRANSIENT.contains(&(code & 0xff)));
    }
    false
}
