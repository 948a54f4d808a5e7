//! `list`: commands matching the filters, newest `scheduled_at` first; or, paged (`--paged`,
//! implied by the filters only the search has), newest created first, one keyset page at a
//! time with the next page's cursor.

use chrono::{DateTime, Utc};
use orchestratum::admin::{Cursor, ListParams, SEARCH_LIMIT_MAX, SearchFilter, Since};
use serde_json::{Value, json};

use crate::Ctx;
use crate::cli::ListArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: ListArgs) -> Result<(), CliError> {
    if args.is_paged() {
        return paged(ctx, args).await;
    }
    let client = ctx.connect_migrated().await?;
    let records = client
        .admin()
        .list(ListParams {
            state: args.state.map(Into::into),
            name: args.name.as_deref(),
            target: args.target.as_deref(),
            since: args.since,
            limit: usize::try_from(args.limit).unwrap_or(usize::MAX),
        })
        .await?;
    if ctx.json {
        output::print_json(&Value::Array(
            records.iter().map(output::record_json).collect(),
        ));
        return Ok(());
    }
    let table = output::records_table(&records);
    if table.is_empty() {
        println!("no commands match");
    } else {
        println!("{}", table.render());
    }
    Ok(())
}

/// An instant from a `--since`-style value: a duration back from now (this machine's clock,
/// as the search bounds are instants), or the instant itself.
fn instant(since: Since) -> DateTime<Utc> {
    match since {
        Since::At(t) => t,
        Since::Ago(d) => {
            Utc::now() - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
        }
    }
}

/// One keyset page, newest id first, then the cursor of the next page.
async fn paged(ctx: &Ctx, args: ListArgs) -> Result<(), CliError> {
    // Checked before connecting, so a bad cursor never reaches the database.
    let after = args
        .after
        .as_deref()
        .map(str::parse::<Cursor>)
        .transpose()?;
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    if limit > SEARCH_LIMIT_MAX {
        return Err(CliError::Usage(format!(
            "--limit is at most {SEARCH_LIMIT_MAX} when paged, not {limit}"
        )));
    }
    let filter = SearchFilter {
        state: args.state.map(Into::into),
        name: args.name,
        target: args.target,
        scheduled_from: args.since.map(instant),
        scheduled_until: args.until.map(instant),
        created_from: args.created_since.map(instant),
        created_until: args.created_until.map(instant),
        id: args.id,
        text: args.text,
        scan_budget: args.scan,
    };
    let client = ctx.connect_migrated().await?;
    let page = client.admin().search(&filter, after, limit).await?;
    let next = page.next.map(|c| c.to_string());
    let stop = page.scan_stopped;
    if ctx.json {
        output::print_json(&json!({
            "commands": page.rows.iter().map(output::record_json).collect::<Vec<_>>(),
            "next": next,
            "scan_stopped": stop.map(|s| json!({
                "rows": s.rows,
                "last_id": s.last_id.to_string(),
                "created_at": s.created_at().map(|t| t.to_rfc3339()),
            })),
        }));
        return Ok(());
    }
    let table = output::records_table(&page.rows);
    if !table.is_empty() {
        println!("{}", table.render());
    } else if stop.is_none() {
        println!("no commands match");
    }
    match (stop, next) {
        (Some(s), Some(next)) => {
            let created = s
                .created_at()
                .map(|t| format!(" (created {})", t.format("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or_default();
            println!(
                "scan stopped: {} match(es) in the {} rows searched, down to {}{created}; older \
                 rows were not searched: continue with --after {next}",
                page.rows.len(),
                s.rows,
                s.last_id
            );
        }
        (_, Some(next)) => println!("next page: --after {next}"),
        _ => {}
    }
    Ok(())
}
