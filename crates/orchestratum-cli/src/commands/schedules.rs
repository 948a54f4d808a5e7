//! `schedules [pause|resume|trigger NAME]`: the stored schedules, steered by name.

use serde_json::json;

use crate::Ctx;
use crate::cli::ScheduleAction;
use crate::error::CliError;
use crate::output::{self, Table};

pub(crate) async fn run(ctx: &Ctx, action: Option<ScheduleAction>) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let admin = client.admin();
    let (name, result) = match action {
        None => return list(ctx, &admin).await,
        Some(ScheduleAction::Pause { name }) => {
            admin.pause_schedule(&name).await?;
            (name, "paused")
        }
        Some(ScheduleAction::Resume { name }) => {
            admin.resume_schedule(&name).await?;
            (name, "resumed")
        }
        Some(ScheduleAction::Trigger { name }) => {
            let id = admin.trigger_schedule(&name).await?;
            if ctx.json {
                output::print_json(&json!({"name": name, "result": "triggered", "id": id}));
            } else {
                println!("triggered schedule `{name}`: pushed {id}");
            }
            return Ok(());
        }
    };
    let stored = admin
        .schedules()
        .await?
        .into_iter()
        .find(|s| s.name == name);
    if ctx.json {
        output::print_json(&json!({"name": name, "result": result, "schedule": stored}));
    } else {
        let next = stored
            .map(|s| output::time(s.next_run_at))
            .unwrap_or_default();
        match result {
            "resumed" => println!("resumed schedule `{name}`: next run {next}"),
            _ => println!("paused schedule `{name}`"),
        }
    }
    Ok(())
}

async fn list(ctx: &Ctx, admin: &orchestratum::admin::Admin) -> Result<(), CliError> {
    let schedules = admin.schedules().await?;
    if ctx.json {
        output::print_json(&serde_json::to_value(&schedules).unwrap_or_default());
        return Ok(());
    }
    if schedules.is_empty() {
        println!("no schedules");
        return Ok(());
    }
    let mut table = Table::new([
        "NAME",
        "EXPRESSION",
        "ZONE",
        "NEXT_RUN",
        "LAST_RUN",
        "PAUSED",
        "MISFIRE",
        "COMMAND",
        "REGISTERED",
    ]);
    for s in &schedules {
        table.row(vec![
            s.name.clone(),
            s.expression.clone(),
            s.time_zone.clone(),
            output::time(s.next_run_at),
            output::opt_time(s.last_run_at),
            if s.paused { "yes" } else { "no" }.into(),
            s.misfire.as_str().into(),
            s.command.clone(),
            output::time(s.registered_at),
        ]);
    }
    println!("{}", table.render());
    Ok(())
}
