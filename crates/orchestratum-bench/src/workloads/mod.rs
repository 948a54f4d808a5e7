//! One module per workload.

pub mod big_table;
pub mod chain;
pub mod drain;
pub mod latency;
pub mod push;
pub mod workflow;

use std::time::{Duration, Instant};

use std::sync::atomic::Ordering;

use crate::cli::BoxError;
use crate::commands::HANDLED;
use crate::target::Target;

/// Waits until `n` commands named `name` completed. With an in-process worker it first waits
/// on the handlers' own count and only then asks the table; with worker processes it asks the
/// table every 250 ms.
pub async fn wait_completed(
    target: &Target,
    name: &str,
    n: u64,
    deadline: Duration,
    in_process_from: Option<u64>,
) -> Result<(), BoxError> {
    let started = Instant::now();
    if let Some(base) = in_process_from {
        while HANDLED.load(Ordering::Relaxed) - base < n {
            if started.elapsed() > deadline {
                return Err(format!(
                    "only {} of {n} `{name}` handlers ran within {deadline:?}",
                    HANDLED.load(Ordering::Relaxed) - base
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let every = if in_process_from.is_some() {
        Duration::from_millis(20)
    } else {
        Duration::from_millis(250)
    };
    loop {
        let done = u64::try_from(target.completed(name).await?).unwrap_or(0);
        if done >= n {
            return Ok(());
        }
        if started.elapsed() > deadline {
            return Err(format!(
                "only {done} of {n} `{name}` commands completed within {deadline:?}"
            )
            .into());
        }
        tokio::time::sleep(every).await;
    }
}

/// Peak resident memory of this process, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Pushes `n` commands in bulk statements of `batch`.
pub async fn push_in_bulk<C: orchestratum::Command>(
    target: &Target,
    n: u64,
    batch: u64,
    make: impl Fn(u64) -> C,
) -> Result<(), BoxError> {
    let mut pushed = 0;
    while pushed < n {
        let size = batch.min(n - pushed);
        target
            .client
            .push_many((pushed..pushed + size).map(&make))
            .await?;
        pushed += size;
    }
    Ok(())
}
