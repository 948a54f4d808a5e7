//! `cancel ID`, with `Client::cancel`'s semantics (with filters instead of an id, the bulk
//! form, `bulk.rs`).
//!
//! The CLI knows no command types, so it cannot build a command's `on_cancellation`
//! follow-ups itself. `Client::cancel` therefore leaves a cancel request in the row
//! (`cancel_requested_at`), and the worker that serves the command's target and name ends it
//! canceled, with its follow-ups, in one fenced write: at its next claim (at once on
//! PostgreSQL, where the request sends a NOTIFY; within its polling interval on SQLite and
//! MySQL), or at its next lease renewal if it is running the command. Canceling without a
//! worker would skip the follow-ups, so the CLI never does.

use super::bulk::{self, Action};
use crate::Ctx;
use crate::cli::BulkArgs;
use crate::error::CliError;
use crate::output;
use orchestratum::{Cancellation, State};
use serde_json::json;

pub(crate) async fn run(ctx: &Ctx, args: BulkArgs) -> Result<(), CliError> {
    let Some(id) = args.id else {
        return bulk::run(ctx, Action::Cancel, &args).await;
    };
    let client = ctx.connect_migrated().await?;
    let outcome = client.cancel(id).await?;
    let (result, message) = match outcome {
        Cancellation::Canceled => ("canceled", format!("canceled {id}")),
        Cancellation::Requested => {
            let record = client.get(id).await?;
            (
                "requested",
                format!(
                    "cancel requested for {id} ({}, {}): the worker for `{}` on target `{}` ends it canceled, with its follow-ups",
                    record.name,
                    record.state(),
                    record.name,
                    record.target
                ),
            )
        }
        Cancellation::AlreadyFinished(State::Canceled) => {
            ("already_canceled", format!("{id} was already canceled"))
        }
        Cancellation::AlreadyFinished(state) => {
            return Err(CliError::WrongState(format!(
                "command {id} is already {state}: nothing to cancel"
            )));
        }
    };
    if ctx.json {
        output::print_json(&json!({"id": id, "result": result}));
    } else {
        println!("{message}");
    }
    Ok(())
}
