//! Adds this instance's outcome counts to `{prefix}stats` every flush interval, and deletes
//! buckets past the stats retention when it starts and then every prune interval (jittered;
//! every started instance does it, and deleting the same buckets twice is harmless). The last
//! flush, after the last outcome was written, is `Runtime::shutdown`'s.

use std::sync::Arc;
use std::time::Instant;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::Shared;
use crate::error::Error;

pub(crate) fn start(shared: Arc<Shared>, stop: CancellationToken) -> JoinHandle<()> {
    shared.stats.set_periodic(true);
    tokio::spawn(async move {
        let stats = &shared.config.stats;
        let mut prune_at = Instant::now();
        loop {
            if Instant::now() >= prune_at {
                prune(&shared).await;
                prune_at = Instant::now() + stats.prune_interval().mul_f64(0.5 + fastrand::f64());
            }
            tokio::select! {
                () = tokio::time::sleep(stats.flush_interval()) => {}
                () = stop.cancelled() => return,
            }
            flush(&shared, shared.config.write_timeout()).await;
        }
    })
}

/// One flush; a failure is logged, and its counts wait for the next one.
pub(crate) async fn flush(shared: &Shared, timeout: std::time::Duration) {
    match shared.stats.flush(&shared.store, timeout).await {
        Ok(keys) if keys > 0 => tracing::trace!(keys, "stats flushed"),
        Ok(_) => {}
        Err(error) => tracing::warn!(
            %error,
            pending = shared.stats.pending(),
            "adding outcome counts to the stats table failed; kept for the next flush"
        ),
    }
}

async fn prune(shared: &Shared) {
    let oldest = shared.config.stats.oldest_kept();
    let pruned = tokio::time::timeout(
        shared.config.write_timeout(),
        shared.store.prune_stats(oldest),
    )
    .await
    .unwrap_or(Err(Error::TimedOut("deleting expired stats")));
    match pruned {
        Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired stats buckets deleted"),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "deleting expired stats buckets failed"),
    }
}
