//! The CLI's errors, each with the exit code of its class (listed in `--help` and the README).

use std::process::ExitCode;

use uuid::Uuid;

/// An exit code class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 1: anything else (a database error in the middle of an operation).
    Other = 1,
    /// 2: bad input.
    BadInput = 2,
    /// 3: no command or workflow has this id, or no schedule this name.
    NotFound = 3,
    /// 4: the database could not be reached.
    Unreachable = 4,
    /// 5: the database's state does not allow the operation.
    Refused = 5,
}

/// Everything the CLI reports as an error. Its message is one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line could not be parsed (clap's message, folded onto one line).
    #[error("{0}")]
    Usage(String),

    /// No database URL was given.
    #[error("no database url: pass --database-url or set DATABASE_URL")]
    NoDatabaseUrl,

    /// No command has this id.
    #[error("command {0} not found")]
    NotFound(Uuid),

    /// The schema is not the one this build's statements expect.
    #[error(
        "the schema of table prefix `{prefix}` is at version {current}, this build needs {latest}: run `orchestratum migrate`"
    )]
    SchemaNotReady {
        /// The table prefix.
        prefix: String,
        /// Its schema version.
        current: i64,
        /// The version this build needs.
        latest: i64,
    },

    /// A bulk action without `--yes`: nothing was changed.
    #[error("{0}")]
    Unconfirmed(String),
    /// The command is not in a state the operation accepts.
    #[error("{0}")]
    WrongState(String),

    /// The dashboard's authentication variables are set inconsistently.
    #[error("{0}")]
    DashboardAuth(String),

    /// The dashboard could not listen on its address, or its server failed.
    #[error("dashboard on {addr}: {source}")]
    Serve {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },

    /// The library refused or failed.
    #[error("{0}")]
    Library(#[from] orchestratum::Error),
}

impl CliError {
    /// The class of this error.
    pub fn class(&self) -> Class {
        use orchestratum::Error as E;
        match self {
            CliError::Usage(_)
            | CliError::NoDatabaseUrl
            | CliError::Unconfirmed(_)
            | CliError::DashboardAuth(_) => Class::BadInput,
            CliError::Serve { .. } => Class::Other,
            CliError::NotFound(_) => Class::NotFound,
            CliError::SchemaNotReady { .. } | CliError::WrongState(_) => Class::Refused,
            CliError::Library(e) => match e {
                E::InvalidUrl { .. }
                | E::UnsupportedScheme { .. }
                | E::InvalidTablePrefix(_)
                | E::InvalidConfig { .. }
                | E::InvalidDuration { .. }
                | E::Serialize { .. }
                | E::InvalidCursor(_)
                | E::InvalidFilter(_) => Class::BadInput,
                E::NotFound(_) | E::WorkflowNotFound(_) | E::ScheduleNotFound(_) => Class::NotFound,
                E::Connect { .. } => Class::Unreachable,
                E::Database(db) if lost_connection(db) => Class::Unreachable,
                E::DowngradeRefused { .. } | E::SchemaTooNew { .. } | E::DeleteRefused { .. } => {
                    Class::Refused
                }
                _ => Class::Other,
            },
        }
    }

    /// The process exit code of this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.class() as u8)
    }
}

/// The connection was lost or could not be had (as opposed to a statement failing).
fn lost_connection(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
    )
}
