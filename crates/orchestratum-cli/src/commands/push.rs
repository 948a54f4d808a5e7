//! `push NAME --input JSON [--target --delay --timeout --retries]`: a command by name, with the
//! library's defaults (target `default`, no delay, 5 s timeout, 3 retries).

use orchestratum::Push;
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
    let id = client.admin().push(&args.name, &args.input, push).await?;
    let record = client.get(id).await?;
    if ctx.json {
        output::print_json(&json!({"id": id, "command": output::record_json(&record)}));
    } else {
        println!(
            "pushed {} ({} to target `{}`, {}, due {})",
            id,
            record.name,
            record.target,
            record.state(),
            output::time(record.scheduled_at)
        );
    }
    Ok(())
}
