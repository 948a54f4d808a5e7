//! `retry ID [--retries N]`: a failed or canceled command becomes pending again (with filters
//! instead of an id, the bulk form, `bulk.rs`).

use serde_json::json;

use super::bulk::{self, Action};
use crate::Ctx;
use crate::cli::RetryArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: RetryArgs) -> Result<(), CliError> {
    let Some(id) = args.target.id else {
        return bulk::run(ctx, Action::Retry, &args.target).await;
    };
    let client = ctx.connect_migrated().await?;
    let Some(record) = client.admin().retry(id, args.retries).await? else {
        // The fenced statement changed nothing: say why, from a read.
        let record = client.get(id).await?;
        return Err(CliError::WrongState(format!(
            "command {id} is {}: only failed or canceled commands can be retried",
            record.state()
        )));
    };
    if ctx.json {
        output::print_json(
            &json!({"id": id, "result": "retried", "command": output::record_json(&record)}),
        );
    } else {
        println!(
            "{id} ({}) is {} again with {} retries left",
            record.name,
            record.state(),
            record.retries_left
        );
    }
    Ok(())
}
