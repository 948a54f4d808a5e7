//! `list`: commands matching the filters, newest `scheduled_at` first.

use orchestratum::admin::ListParams;
use serde_json::Value;

use crate::Ctx;
use crate::cli::ListArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: ListArgs) -> Result<(), CliError> {
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
