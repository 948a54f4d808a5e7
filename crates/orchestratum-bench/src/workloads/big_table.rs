//! `big-table`: the drain workload with many finished rows already in the table.

use crate::cli::BoxError;
use crate::report::Report;
use crate::target::Target;

#[derive(clap::Args, Debug, Clone)]
pub struct BigTableArgs {
    /// Finished rows inserted before the drain.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    #[command(flatten)]
    pub drain: super::drain::DrainArgs,
}

pub async fn run(target: &Target, url: &str, args: &BigTableArgs) -> Result<Report, BoxError> {
    target.fill_finished(args.rows).await?;
    let mut report = super::drain::run(target, url, &args.drain).await?;
    report.workload = "big-table".into();
    Ok(report.setting("finished_rows", args.rows))
}
