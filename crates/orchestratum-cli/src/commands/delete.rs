//! `delete ID`: one command and its attempts, unless it runs under a live lease or is a
//! workflow step that unfinished steps depend on (exit 5, saying which). With filters instead
//! of an id, the bulk form (`bulk.rs`).

use serde_json::json;

use super::bulk::{self, Action};
use crate::Ctx;
use crate::cli::BulkArgs;
use crate::error::CliError;
use crate::output;

pub(crate) async fn run(ctx: &Ctx, args: BulkArgs) -> Result<(), CliError> {
    let Some(id) = args.id else {
        return bulk::run(ctx, Action::Delete, &args).await;
    };
    let client = ctx.connect_migrated().await?;
    client.admin().delete(id).await?;
    if ctx.json {
        output::print_json(&json!({"id": id, "result": "deleted"}));
    } else {
        println!("deleted {id}");
    }
    Ok(())
}
