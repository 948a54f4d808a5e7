//! `migrate`, `migrate --dry-run`, `migrate status`, `migrate down --to N`.

use orchestratum::admin::{DowngradeParams, MigrationStatus, PlannedMigration};
use serde_json::json;

use crate::Ctx;
use crate::cli::{MigrateAction, MigrateArgs};
use crate::error::CliError;
use crate::output::{self, Table};

pub(crate) async fn run(ctx: &Ctx, args: MigrateArgs) -> Result<(), CliError> {
    match args.action {
        None if args.dry_run => dry_run(ctx).await,
        None => apply(ctx).await,
        Some(MigrateAction::Status) => status(ctx).await,
        Some(MigrateAction::Down { to, force, dry_run }) => {
            down(ctx, DowngradeParams { to, force, dry_run }).await
        }
    }
}

async fn apply(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let report = client.migrate().await?;
    if ctx.json {
        output::print_json(&json!({
            "applied": report.applied,
            "adopted_existing_table": report.adopted_existing_table,
            "current": report.current,
        }));
        return Ok(());
    }
    if report.adopted_existing_table {
        println!("recorded the existing commands table as version 1 (reference schema)");
    }
    if report.applied.is_empty() {
        println!("already at version {}: nothing to apply", report.current);
    } else {
        let versions: Vec<String> = report.applied.iter().map(i64::to_string).collect();
        println!(
            "applied version(s) {}; schema is at version {}",
            versions.join(", "),
            report.current
        );
    }
    Ok(())
}

async fn dry_run(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let status = client.admin().migration_status().await?;
    too_new(&status)?;
    if ctx.json {
        output::print_json(&json!({
            "current": status.current(),
            "latest": status.latest,
            "adopt_existing_table": status.unrecorded_reference_table,
            "pending": status.pending.iter().map(planned_json).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    if status.unrecorded_reference_table {
        println!(
            "-- the existing commands table would be recorded as version 1 (reference schema)"
        );
    }
    if status.pending.is_empty() {
        println!(
            "-- already at version {}: nothing to apply",
            status.current()
        );
    }
    for m in &status.pending {
        println!(
            "-- version {}: {}\n{}",
            m.version,
            m.description,
            m.sql.trim_end()
        );
    }
    Ok(())
}

async fn status(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let status = client.admin().migration_status().await?;
    if ctx.json {
        output::print_json(&json!({
            "current": status.current(),
            "latest": status.latest,
            "unrecorded_reference_table": status.unrecorded_reference_table,
            "applied": status.applied.iter().map(|m| json!({
                "version": m.version,
                "description": m.description,
                "applied_at": output::json_time(m.applied_at),
            })).collect::<Vec<_>>(),
            "pending": status.pending.iter().map(|m| json!({
                "version": m.version,
                "description": m.description,
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    let mut table = Table::new(["VERSION", "STATE", "APPLIED_AT", "DESCRIPTION"]);
    for m in &status.applied {
        table.row(vec![
            m.version.to_string(),
            "applied".into(),
            output::time(m.applied_at),
            m.description.clone(),
        ]);
    }
    if status.unrecorded_reference_table {
        table.row(vec![
            "1".into(),
            "unrecorded".into(),
            "-".into(),
            "reference schema (made by the .NET library; `migrate` records it)".into(),
        ]);
    }
    for m in &status.pending {
        table.row(vec![
            m.version.to_string(),
            "pending".into(),
            "-".into(),
            m.description.to_owned(),
        ]);
    }
    println!("{}", table.render());
    println!(
        "schema version {} of {} (table prefix `{}`)",
        status.current(),
        status.latest,
        ctx.prefix()
    );
    Ok(())
}

async fn down(ctx: &Ctx, params: DowngradeParams) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let report = client.admin().migrate_down(params).await?;
    if ctx.json {
        output::print_json(&json!({
            "from": report.from,
            "current": report.current,
            "dry_run": report.dry_run,
            "reverted": report.reverted.iter().map(planned_json).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    if report.reverted.is_empty() {
        println!("already at version {}: nothing to undo", report.from);
        return Ok(());
    }
    if report.dry_run {
        for m in &report.reverted {
            println!(
                "-- undo version {}: {}\n{}",
                m.version,
                m.description,
                m.sql.trim_end()
            );
        }
        return Ok(());
    }
    let versions: Vec<String> = report
        .reverted
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    println!(
        "undid version(s) {}; schema is at version {}",
        versions.join(", "),
        report.current
    );
    Ok(())
}

fn too_new(status: &MigrationStatus) -> Result<(), CliError> {
    if status.current() > status.latest {
        return Err(orchestratum::Error::SchemaTooNew {
            found: status.current(),
            known: status.latest,
        }
        .into());
    }
    Ok(())
}

fn planned_json(m: &PlannedMigration) -> serde_json::Value {
    json!({"version": m.version, "description": m.description, "sql": m.sql})
}
