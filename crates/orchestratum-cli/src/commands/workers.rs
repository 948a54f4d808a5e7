//! `workers`: the worker registry, live and gone.

use crate::Ctx;
use crate::error::CliError;
use crate::output::{self, Table};

pub(crate) async fn run(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let workers = client.workers().await?;
    if ctx.json {
        output::print_json(&serde_json::to_value(&workers).unwrap_or_default());
        return Ok(());
    }
    if workers.is_empty() {
        println!("no workers registered");
        return Ok(());
    }
    let mut table = Table::new([
        "WORKER",
        "INSTANCE_KEY",
        "HOST",
        "PID",
        "VERSION",
        "STATE",
        "IN_FLIGHT",
        "MAX",
        "STARTED",
        "HEARTBEAT",
        "NAMES",
    ]);
    for w in &workers {
        table.row(vec![
            w.worker_id.to_string(),
            w.instance_key.clone(),
            w.host.clone(),
            w.pid.to_string(),
            w.version.clone(),
            if w.alive { "alive" } else { "gone" }.into(),
            w.in_flight.to_string(),
            w.max_command_pull.to_string(),
            output::time(w.started_at),
            output::time(w.heartbeat_at),
            w.names.join(","),
        ]);
    }
    println!("{}", table.render());
    Ok(())
}
