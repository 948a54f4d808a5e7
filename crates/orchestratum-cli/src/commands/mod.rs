//! One module per subcommand. Each connects through [`Ctx`], calls the client or its admin
//! operations, and prints a table or JSON.

mod bulk;
mod cancel;
mod delete;
mod list;
mod migrate;
mod pause;
mod prune;
mod push;
mod retry;
mod schedules;
mod serve;
mod show;
mod status;
mod throughput;
mod workers;
mod workflow;

use crate::Ctx;
use crate::cli::Command;
use crate::error::CliError;

/// Runs one subcommand.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Migrate(args) => migrate::run(ctx, args).await,
        Command::Status(args) => status::run(ctx, args).await,
        Command::List(args) => list::run(ctx, args).await,
        Command::Show { id } => show::run(ctx, id).await,
        Command::Cancel(args) => cancel::run(ctx, args).await,
        Command::Delete(args) => delete::run(ctx, args).await,
        Command::Workflow(args) => workflow::run(ctx, args).await,
        Command::Retry(args) => retry::run(ctx, args).await,
        Command::Push(args) => push::run(ctx, args).await,
        Command::Prune(args) => prune::run(ctx, args).await,
        Command::Workers => workers::run(ctx).await,
        Command::Pause { name } => pause::run(ctx, &name, true).await,
        Command::Resume { name } => pause::run(ctx, &name, false).await,
        Command::Schedules(args) => schedules::run(ctx, args.action).await,
        Command::Serve(args) => serve::run(ctx, args).await,
        Command::Throughput(args) => throughput::run(ctx, args).await,
    }
}
