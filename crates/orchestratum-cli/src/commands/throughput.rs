//! `throughput`: outcomes per command name since a time (default the last hour), from the
//! per-minute stats table; with `--per-minute`, the minutes too.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orchestratum::admin::Since;
use orchestratum::{StatsBucket, StatsOutcome};
use serde_json::{Value, json};

use crate::Ctx;
use crate::cli::ThroughputArgs;
use crate::error::CliError;
use crate::output::{self, Table};

/// Counts and run time of each outcome, in `StatsOutcome::ALL` order.
#[derive(Default, Clone, Copy)]
struct Totals {
    counts: [u64; 4],
    run_us: u64,
}

impl Totals {
    fn add(&mut self, b: &StatsBucket) {
        let i = StatsOutcome::ALL
            .iter()
            .position(|o| *o == b.outcome)
            .unwrap_or(0);
        self.counts[i] += b.count;
        self.run_us += b.run_us;
    }

    /// Mean handler run time per counted outcome (a cancel before any run counts zero).
    fn average_run(&self) -> Option<Duration> {
        let runs: u64 = self.counts.iter().sum();
        (runs > 0).then(|| Duration::from_micros(self.run_us / runs))
    }

    fn json(&self) -> Value {
        let mut map: serde_json::Map<String, Value> = StatsOutcome::ALL
            .iter()
            .zip(self.counts)
            .map(|(o, n)| (o.as_str().to_owned(), json!(n)))
            .collect();
        map.insert(
            "average_run_seconds".into(),
            self.average_run().map_or(Value::Null, output::json_secs),
        );
        Value::Object(map)
    }

    fn cells(&self) -> Vec<String> {
        let mut row: Vec<String> = self.counts.iter().map(u64::to_string).collect();
        row.push(
            self.average_run()
                .map_or_else(|| "-".to_owned(), output::duration),
        );
        row
    }
}

fn headers(first: &str) -> Vec<String> {
    std::iter::once(first.to_owned())
        .chain(StatsOutcome::ALL.iter().map(|o| o.as_str().to_uppercase()))
        .chain(std::iter::once("AVG_RUN".to_owned()))
        .collect()
}

pub(crate) async fn run(ctx: &Ctx, args: ThroughputArgs) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let since: DateTime<Utc> = match args.since {
        Since::At(at) => at,
        Since::Ago(ago) => {
            Utc::now() - chrono::Duration::from_std(ago).unwrap_or(chrono::Duration::MAX)
        }
    };
    let buckets = client.stats(since, args.name.as_deref()).await?;
    let mut total = Totals::default();
    let mut by_name: BTreeMap<&str, Totals> = BTreeMap::new();
    let mut by_minute: BTreeMap<DateTime<Utc>, Totals> = BTreeMap::new();
    for b in &buckets {
        total.add(b);
        by_name.entry(&b.name).or_default().add(b);
        by_minute.entry(b.minute).or_default().add(b);
    }
    if ctx.json {
        let mut out = json!({
            "since": output::json_time(since),
            "total": total.json(),
            "by_name": by_name.iter().map(|(n, t)| ((*n).to_owned(), t.json())).collect::<serde_json::Map<_, _>>(),
        });
        if args.per_minute {
            out["minutes"] = by_minute
                .iter()
                .map(|(m, t)| {
                    let mut v = t.json();
                    v["minute"] = output::json_time(*m);
                    v
                })
                .collect();
        }
        output::print_json(&out);
        return Ok(());
    }
    println!("since {} (UTC)\n", output::time(since));
    let mut names = Table::with_headers(headers("NAME"));
    for (name, t) in &by_name {
        let mut row = vec![(*name).to_owned()];
        row.extend(t.cells());
        names.row(row);
    }
    let mut row = vec!["total".to_owned()];
    row.extend(total.cells());
    names.row(row);
    println!("{}", names.render());
    if args.per_minute && !by_minute.is_empty() {
        let mut minutes = Table::with_headers(headers("MINUTE"));
        for (minute, t) in &by_minute {
            let mut row = vec![output::time(*minute)];
            row.extend(t.cells());
            minutes.row(row);
        }
        println!("\n{}", minutes.render());
    }
    Ok(())
}
