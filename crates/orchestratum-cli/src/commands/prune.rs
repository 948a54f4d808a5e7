//! `prune --older-than 7d [--state completed|failed|canceled]`: deletes finished commands in
//! bounded batches (one statement each), until a batch comes back short.

use orchestratum::admin::PruneParams;
use serde_json::json;

use crate::Ctx;
use crate::cli::PruneArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: PruneArgs) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let params = PruneParams {
        older_than: args.older_than,
        state: args.state.map(Into::into),
        limit: usize::try_from(args.batch).unwrap_or(usize::MAX),
    };
    let mut removed: u64 = 0;
    let mut batches: u64 = 0;
    loop {
        let n = client.admin().prune(params).await?;
        removed += n;
        batches += 1;
        if n < u64::from(args.batch) {
            break;
        }
    }
    let which = params.state.map_or("finished", |s| s.as_str());
    if ctx.json {
        output::print_json(&json!({
            "removed": removed,
            "batches": batches,
            "state": params.state.map(|s| s.as_str()),
            "older_than_seconds": output::json_secs(args.older_than),
        }));
    } else {
        println!(
            "removed {removed} {which} command(s) older than {} ({batches} batch(es) of at most {})",
            output::duration(args.older_than),
            args.batch
        );
    }
    Ok(())
}
