//! `push NAME --input JSON [--target --delay --timeout --retries --priority --unique-key
//! --unique-over]`: a command by name, with the library's defaults (target `default`, no delay,
//! 5 s timeout, 3 retries, priority 0, not unique).

use orchestratum::{Push, Pushed, State};
use serde_json::json;

use crate::Ctx;
use crate::cli::PushArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: PushArgs) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let mut push = Push::new().target(args.target);
    if let Some(delay) = args.delay {
        push = push.delay(delay);
    }
    if let Some(timeout) = args.timeout {
        push = push.timeout(timeout);
    }
    if let Some(retries) = args.retries {
        push = push.retries(retries);
    }
    if let Some(priority) = args.priority {
        push = push.priority(priority);
    }
    if let Some(key) = args.unique_key {
        push = push
            .unique_key(key)
            .unique_over(args.unique_over.into_iter().map(State::from));
    }
    let pushed = client
        .admin()
        .push_checked(&args.name, &args.input, push)
        .await?;
    let id = pushed.id();
    let record = client.get(id).await?;
    let inserted = matches!(pushed, Pushed::Inserted(_));
    if ctx.json {
        output::print_json(&json!({
            "id": id,
            "inserted": inserted,
            "duplicate": !inserted,
            "command": output::record_json(&record),
        }));
    } else if inserted {
        println!(
            "pushed {} ({} to target `{}`, {}, due {})",
            id,
            record.name,
            record.target,
            record.state(),
            output::time(record.scheduled_at)
        );
    } else {
        println!(
            "duplicate: {} ({}, {}) holds unique key `{}`; nothing pushed",
            id,
            record.name,
            record.state(),
            record.unique_key.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
