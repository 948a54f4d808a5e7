//! `pause NAME` and `resume NAME`: stop and restart claiming a command name on every instance.
//! Runs in flight finish; a paused name's commands wait, pending. The claim statement itself
//! skips paused names, so a pause holds from the next claim of every worker; a resume wakes
//! the workers at once on PostgreSQL (NOTIFY), within their polling interval elsewhere.

use orchestratum::Control;
use serde_json::json;

use crate::Ctx;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, name: &str, pause: bool) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let control = if pause {
        client.admin().pause(name).await?
    } else {
        client.admin().resume(name).await?
    };
    if ctx.json {
        output::print_json(&control_json(&control));
    } else if control.paused {
        println!(
            "paused `{}` since {}: no worker claims it until `orchestratum resume {}`",
            control.name,
            output::opt_time(control.paused_at),
            control.name
        );
    } else {
        println!("resumed `{}`: workers claim it again", control.name);
    }
    Ok(())
}

/// A control row as JSON (also in `status --json`).
pub(crate) fn control_json(c: &Control) -> serde_json::Value {
    json!({
        "name": c.name,
        "paused": c.paused,
        "paused_at": c.paused_at.map(output::json_time),
        "fleet_limit": c.fleet_limit,
        "updated_at": output::json_time(c.updated_at),
    })
}
