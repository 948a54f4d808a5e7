//! `push NAME --input JSON [--target --delay --timeout --retries]`: a command by name, with the
//! library's defaults (target `default`, no delay, 5 s timeout, 3 retries).

use orchestratum::command::{RETRIES_DEFAULT, TIMEOUT_DEFAULT};
use orchestratum::push::NewCommand;
use serde_json::json;
use uuid::Uuid;

use crate::Ctx;
use crate::cli::PushArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: PushArgs) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let row = NewCommand {
        id: Uuid::now_v7(),
        target: args.target,
        name: args.name,
        input: args.input,
        delay: args.delay.unwrap_or_default(),
        timeout: args.timeout.unwrap_or(TIMEOUT_DEFAULT),
        retries: i32::from(args.retries.unwrap_or(RETRIES_DEFAULT)),
        parent_id: None,
    };
    client.store().push_many(std::slice::from_ref(&row)).await?;
    let record = client.get(row.id).await?;
    if ctx.json {
        output::print_json(&json!({"id": row.id, "command": output::record_json(&record)}));
    } else {
        println!(
            "pushed {} ({} to target `{}`, {}, due {})",
            row.id,
            row.name,
            row.target,
            record.state(),
            output::time(record.scheduled_at)
        );
    }
    Ok(())
}
