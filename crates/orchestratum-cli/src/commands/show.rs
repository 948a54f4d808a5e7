//! `show ID`: every column, input and output as pretty JSON, every attempt, the parent and the
//! follow-ups.

use orchestratum::{Attempt, CommandRecord};
use serde_json::json;
use uuid::Uuid;

use crate::Ctx;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, id: Uuid) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let record = client.get(id).await?;
    let parent = match record.parent_id {
        Some(p) => match client.get(p).await {
            Ok(parent) => Some(parent),
            Err(orchestratum::Error::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let follow_ups = client.follow_ups(id).await?;
    let attempts = client.attempts(id).await?;
    if ctx.json {
        let mut value = output::record_json(&record);
        value["attempts"] = serde_json::to_value(&attempts).unwrap_or_default();
        value["parent"] = parent.as_ref().map_or(serde_json::Value::Null, brief_json);
        value["follow_ups"] = follow_ups.iter().map(brief_json).collect();
        output::print_json(&value);
        return Ok(());
    }
    print_record(&record);
    println!();
    print_attempts(&attempts);
    match (&parent, record.parent_id) {
        (Some(p), _) => println!("parent:     {} {} ({})", p.id, p.name, p.state()),
        (None, Some(p)) => println!("parent:     {p} (no longer in the table)"),
        (None, None) => println!("parent:     -"),
    }
    if follow_ups.is_empty() {
        println!("follow-ups: -");
    } else {
        println!("follow-ups:");
        for f in &follow_ups {
            println!("  {} {} ({})", f.id, f.name, f.state());
        }
    }
    Ok(())
}

/// The states a record's key is held in: always the unfinished ones, plus those it keeps.
fn unique_over(r: &CommandRecord) -> String {
    if r.unique_key.is_none() {
        return "-".into();
    }
    let mut states = vec!["unfinished"];
    states.extend(r.unique_over.iter().map(|s| s.as_str()));
    states.join(", ")
}

fn print_record(r: &CommandRecord) {
    let status = r
        .status()
        .map_or_else(|| "-".to_owned(), |s| format!("{s:?}"));
    let flag = |b: bool| if b { "true" } else { "false" };
    let lines = [
        ("id", r.id.to_string()),
        ("name", r.name.clone()),
        ("target", r.target.clone()),
        ("state", r.state().to_string()),
        ("status", status),
        ("scheduled_at", output::time(r.scheduled_at)),
        ("timeout", output::duration(r.timeout)),
        ("is_running", flag(r.is_running).into()),
        ("running_at", output::opt_time(r.running_at)),
        ("run_expires_at", output::opt_time(r.run_expires_at)),
        ("is_completed", flag(r.is_completed).into()),
        ("completed_at", output::opt_time(r.completed_at)),
        ("is_canceled", flag(r.is_canceled).into()),
        ("canceled_at", output::opt_time(r.canceled_at)),
        ("retries_left", r.retries_left.to_string()),
        ("is_failed", flag(r.is_failed).into()),
        ("failed_at", output::opt_time(r.failed_at)),
        ("attempt", r.attempt.to_string()),
        (
            "last_outcome",
            r.last_outcome.map_or("-", |k| k.as_str()).into(),
        ),
        (
            "last_error",
            r.last_error.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "cancel_requested_at",
            output::opt_time(r.cancel_requested_at),
        ),
        ("priority", r.priority.to_string()),
        (
            "unique_key",
            r.unique_key.clone().unwrap_or_else(|| "-".into()),
        ),
        ("unique_over", unique_over(r)),
    ];
    for (key, value) in lines {
        println!("{:<20} {value}", format!("{key}:"));
    }
    println!(
        "input:\n{}",
        indent(&output::pretty_stored(r.input.as_deref()))
    );
    println!(
        "output:\n{}",
        indent(&output::pretty_stored(r.output.as_deref()))
    );
}

fn print_attempts(attempts: &[Attempt]) {
    if attempts.is_empty() {
        println!("attempts:   -");
        return;
    }
    let mut table =
        output::Table::new(["ATTEMPT", "OUTCOME", "STARTED", "ENDED", "WORKER", "ERROR"]);
    for a in attempts {
        table.row(vec![
            a.attempt.to_string(),
            a.outcome.to_string(),
            output::opt_time(a.started_at),
            output::opt_time(a.ended_at),
            a.worker_id.map_or_else(|| "-".into(), |w| w.to_string()),
            a.error.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    println!("attempts:");
    println!("{}", indent(&table.render()));
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn brief_json(r: &CommandRecord) -> serde_json::Value {
    json!({"id": r.id, "name": r.name, "state": r.state().as_str()})
}
