//! Deletes finished commands past their retention ([`crate::Retention`]), in bounded batches at
//! a jittered interval. Every started instance runs it; deleting the same expired rows twice
//! is harmless (the second delete finds none), so no instance leads.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::Shared;
use crate::error::Error;
use crate::retention::Retention;
use crate::store::PruneParams;

pub(crate) fn start(
    shared: Arc<Shared>,
    retention: Retention,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            // Jitter spreads instances started together over the interval.
            let wait = retention.interval().mul_f64(0.5 + fastrand::f64());
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled() => return,
            }
            sweep(&shared, &retention, &stop).await;
        }
    })
}

/// One look: for each final state with an age, batches until one comes back short.
async fn sweep(shared: &Shared, retention: &Retention, stop: &CancellationToken) {
    let batch = retention.batch_size();
    for (state, older_than) in retention.rules() {
        let mut deleted = 0u64;
        loop {
            let params = PruneParams {
                older_than,
                state: Some(state),
                limit: batch,
            };
            let pruned =
                tokio::time::timeout(shared.config.write_timeout(), shared.store.prune(params))
                    .await
                    .unwrap_or_else(|_| Err(Error::TimedOut("deleting expired commands")));
            match pruned {
                Ok(n) => {
                    deleted += n;
                    shared.metrics.pruned(state, n);
                    if n < batch as u64 || stop.is_cancelled() {
                        break;
                    }
                }
                Err(error) => {
                    // The next look tries again; nothing is lost by waiting.
                    tracing::warn!(%error, state = state.as_str(), "deleting expired commands failed");
                    break;
                }
            }
            // Between batches, give the database (and the other instances) a turn.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if deleted > 0 {
            tracing::debug!(
                state = state.as_str(),
                deleted,
                ?older_than,
                "expired commands deleted"
            );
        }
    }
}
