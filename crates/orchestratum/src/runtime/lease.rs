//! Keeps the leases of in-flight runs alive: renews them all in one statement every half
//! lease, stops a run whose lease was lost, delivers cancel requests seen on renewal, and
//! stops every run whose lease may lapse while the database cannot be reached.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::StopReason;
use crate::client::Shared;
use crate::store::Lease;

pub(crate) fn start(shared: Arc<Shared>, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = shared.config.lease_renew_interval();
        let lease = shared.config.lock_timeout_buffer;
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shared.renew_now.notified() => {}
                () = stop.cancelled() => return,
            }
            let runs = shared.running.snapshot();
            if runs.is_empty() {
                continue;
            }
            let leases: Vec<Lease> = runs
                .iter()
                .map(|(id, c)| Lease {
                    id: *id,
                    token: c.lease_token,
                })
                .collect();
            let asked_at = Instant::now();
            match shared.store.renew_leases(&leases, lease).await {
                Ok(renewed) => {
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
                            None if control.reason().is_none() && !control.is_finished() => {
                                tracing::warn!(command.id = %id, "lease lost: stopping the run");
                                control.stop(StopReason::LeaseLost);
                            }
                            None => {}
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "renewing leases failed");
                    // Stop before the lease can lapse, so no two workers ever run one command.
                    let margin = every / 2;
                    for (id, control) in runs {
                        if Instant::now() + margin >= control.valid_until() {
                            tracing::warn!(command.id = %id, "lease about to lapse unrenewed: stopping the run");
                            control.stop(StopReason::LeaseLost);
                        }
                    }
                }
            }
        }
    })
}
