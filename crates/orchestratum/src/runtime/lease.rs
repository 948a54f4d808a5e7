//! Keeps the leases of in-flight runs alive: renews them all in one statement every third of
//! the lease, stops a run whose lease was lost, and delivers cancel requests seen on renewal.
//! A renewal that fails or hangs past `renew_timeout` is tried again soon; it never stops a
//! run itself: each run stops itself before its lease could lapse (`executor`), by this
//! process's clock, whatever the database does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::StopReason;
use crate::client::Shared;
use crate::store::Lease;

/// Shortest wait before trying a failed renewal again.
const MIN_RETRY: Duration = Duration::from_millis(10);

pub(crate) fn start(shared: Arc<Shared>, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = shared.config.lease_renew_interval();
        let retry = (shared.config.lock_timeout_buffer / 16).max(MIN_RETRY);
        let lease = shared.config.lock_timeout_buffer;
        let mut wait = every;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shared.renew_now.notified() => {}
                () = stop.cancelled() => return,
            }
            wait = every;
            let runs = shared.running.snapshot();
            if !runs.is_empty() {
                wait = renew(&shared, runs, lease).await.unwrap_or(retry);
            }
        }
    })
}

/// Renews every lease in one statement; `None` when the renewal failed or timed out.
async fn renew(
    shared: &Shared,
    runs: Vec<(uuid::Uuid, Arc<super::RunControl>)>,
    lease: Duration,
) -> Option<Duration> {
    let every = shared.config.lease_renew_interval();
    let leases: Vec<Lease> = runs
        .iter()
        .map(|(id, c)| Lease {
            id: *id,
            token: c.lease_token,
        })
        .collect();
    let asked_at = Instant::now();
    let renewal = tokio::time::timeout(
        shared.config.renew_timeout(),
        shared.store.renew_leases(&leases, lease),
    )
    .await;
    let renewed = match renewal {
        Ok(Ok(renewed)) => renewed,
        Ok(Err(error)) => {
            tracing::warn!(%error, count = leases.len(), "renewing leases failed; trying again");
            return None;
        }
        Err(_) => {
            tracing::warn!(timeout = ?shared.config.renew_timeout(), count = leases.len(),
                "renewing leases timed out; trying again");
            return None;
        }
    };
    let renewed: HashMap<_, _> = renewed
        .into_iter()
        .map(|r| (r.id, r.cancel_requested))
        .collect();
    for (id, control) in runs {
        match renewed.get(&id) {
            Some(&cancel_requested) => {
                control.extend(asked_at + lease);
                if cancel_requested {
                    control.stop(StopReason::CancelRequested);
                }
            }
            // A completion the handler committed (or is committing) in its own transaction
            // cleared the lease: that is no loss.
            None if control.reason().is_none()
                && !control.is_finished()
                && control.completion() == super::Completion::None =>
            {
                tracing::warn!(command.id = %id, "lease lost: stopping the run");
                control.stop(StopReason::LeaseLost);
            }
            None => {}
        }
    }
    Some(every)
}
