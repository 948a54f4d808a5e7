//! The bulk forms of `retry`, `cancel` and `delete`: every command matching the filters, in
//! batches, only with `--yes`. Without it nothing changes: the count that would is printed
//! and the exit code is 2, so a script cannot act on a filter by mistake.

use orchestratum::State;
use orchestratum::admin::{Admin, SEARCH_LIMIT_MAX, SearchFilter, Selection};
use serde_json::json;

use crate::Ctx;
use crate::cli::BulkArgs;
use crate::error::CliError;
use crate::output;

/// A bulk action.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action {
    Retry,
    Cancel,
    Delete,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::Cancel => "cancel",
            Action::Delete => "delete",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Action::Retry => "retried",
            Action::Cancel => "canceled or asked to cancel",
            Action::Delete => "deleted",
        }
    }

    /// The states the action changes (a delete may still refuse some, see `Admin::delete`).
    fn accepts(self, state: State) -> bool {
        match self {
            Action::Retry => matches!(state, State::Failed | State::Canceled),
            Action::Cancel => !state.is_terminal(),
            Action::Delete => true,
        }
    }
}

/// The refusal of a command line with neither an id nor a filter.
pub(crate) fn no_selection(action: &str) -> CliError {
    CliError::Usage(format!(
        "{action} needs a command id, or --state/--name/--target/--text for the bulk form"
    ))
}

/// Runs the bulk form of `action` over the commands matching `args`' filter.
pub(crate) async fn run(ctx: &Ctx, action: Action, args: &BulkArgs) -> Result<(), CliError> {
    let filter = args.filter().ok_or_else(|| no_selection(action.name()))?;
    let client = ctx.connect_migrated().await?;
    let admin = client.admin();
    if !args.yes {
        let n = candidates(&admin, action, &filter).await?;
        return Err(CliError::Unconfirmed(format!(
            "{n} command(s) match and would be {}; nothing was changed: pass --yes to {} them",
            action.done(),
            action.name()
        )));
    }
    let selection = Selection::Matching(filter);
    let report = match action {
        Action::Retry => admin.retry_all(&selection).await?,
        Action::Cancel => admin.cancel_all(&selection).await?,
        Action::Delete => admin.delete_all(&selection).await?,
    };
    if ctx.json {
        output::print_json(&json!({
            "action": action.name(),
            "changed": report.changed,
            "skipped": report.skipped,
        }));
    } else {
        println!(
            "{} {} command(s); skipped {} (not in a state `{}` accepts{})",
            action.done(),
            report.changed,
            report.skipped,
            action.name(),
            if matches!(action, Action::Delete) {
                ", running under a live lease, or a workflow step others depend on"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// How many matching commands are in a state the action changes, read page by page.
async fn candidates(admin: &Admin, action: Action, filter: &SearchFilter) -> Result<u64, CliError> {
    let mut n = 0;
    let mut after = None;
    loop {
        let page = admin.search(filter, after, SEARCH_LIMIT_MAX).await?;
        n += page
            .rows
            .iter()
            .filter(|r| action.accepts(r.state()))
            .count() as u64;
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(n),
        }
    }
}
