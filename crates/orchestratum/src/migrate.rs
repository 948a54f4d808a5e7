//! Versioned, embedded schema migrations: the list type and what a run reports. Each backend
//! applies its own files under its own lock (`store::*::migrate`).

/// One embedded migration of one backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version number, from 1; version 1 is the reference schema.
    pub version: i64,
    /// What it does, as recorded in `{prefix}schema_migrations`.
    pub description: &'static str,
    /// The statements, with `{prefix}` tokens.
    pub sql: &'static str,
}

/// What a call to `migrate()` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this call, in order (empty when already up to date).
    pub applied: Vec<i64>,
    /// True when an existing commands table without our bookkeeping (one the .NET library
    /// made) was recognised as version 1.
    pub adopted_existing_table: bool,
    /// The schema version after the call.
    pub current: i64,
}

/// The latest version in `migrations`.
pub(crate) fn latest(migrations: &[Migration]) -> i64 {
    migrations.iter().map(|m| m.version).max().unwrap_or(0)
}

/// How to undo one embedded migration of one backend (`NNNN_*.down.sql` beside its up file).
#[derive(Debug, Clone, Copy)]
pub struct DownMigration {
    /// The version this undoes.
    pub version: i64,
    /// The statements, with `{prefix}` tokens.
    pub sql: &'static str,
    /// True when undoing it loses reference data (version 1: the commands table itself), so
    /// it runs only when forced.
    pub drops_reference_data: bool,
}
