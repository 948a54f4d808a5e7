//! The `orchestratum` command: apply migrations, see what the queue holds, cancel, retry, push
//! and prune, on any backend the library supports.
//!
//! Everything goes through the library's documented API: its `Client` and the operators'
//! `orchestratum::admin::Admin` (`client.admin()`); this crate has no SQL of its own. `main.rs` only parses, calls [`run`] and turns
//! an error into one line on stderr and an exit code ([`error::Class`]).

pub mod cli;
mod commands;
mod duration;
pub mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;
use orchestratum::{Client, Orchestratum};

pub use crate::cli::Cli;
pub use crate::error::CliError;

/// Parses the process's arguments, runs the command, prints its output or its error, and
/// returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(error::Class::Other as u8);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            e.exit_code()
        }
    }
}

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Ctx::new(&cli)?;
    commands::run(&ctx, cli.command).await
}

/// What every subcommand gets: how to connect, and how to print.
pub(crate) struct Ctx {
    database_url: String,
    table_prefix: String,
    /// Print JSON instead of tables.
    pub json: bool,
}

impl Ctx {
    fn new(cli: &Cli) -> Result<Self, CliError> {
        let database_url = cli
            .database_url
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or(CliError::NoDatabaseUrl)?;
        // Checked before connecting, so a bad prefix never reaches the database.
        orchestratum::config::TablePrefix::new(&cli.table_prefix)?;
        Ok(Self {
            database_url,
            table_prefix: cli.table_prefix.clone(),
            json: cli.json,
        })
    }

    /// The table prefix.
    pub fn prefix(&self) -> &str {
        &self.table_prefix
    }

    /// Connects a client with no worker and no handlers, and without migrating.
    pub async fn connect(&self) -> Result<Client, CliError> {
        Ok(Orchestratum::builder()
            .database(&self.database_url)
            .table_prefix(&self.table_prefix)
            .migrate(false)
            .connect()
            .await?)
    }

    /// Connects, and refuses unless the schema is the one this build expects.
    pub async fn connect_migrated(&self) -> Result<Client, CliError> {
        let client = self.connect().await?;
        let status = client.admin().migration_status().await?;
        if status.current() > status.latest {
            return Err(orchestratum::Error::SchemaTooNew {
                found: status.current(),
                known: status.latest,
            }
            .into());
        }
        if !status.is_current() {
            return Err(CliError::SchemaNotReady {
                prefix: self.table_prefix.clone(),
                current: status.current(),
                latest: status.latest,
            });
        }
        Ok(client)
    }
}

/// Prints clap's help or version as it is; folds a usage error onto one line (exit 2).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(error::Class::BadInput as u8)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| {
            !l.is_empty() && !l.starts_with("tip:") && !l.starts_with("For more information")
        })
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("error: {message} (see --help)");
    ExitCode::from(error::Class::BadInput as u8)
}

/// A message on one line: inner line breaks become spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
