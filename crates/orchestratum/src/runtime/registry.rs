//! This worker's row in the registry: its heartbeat (every third of the lease, the rhythm of the lease
//! renewals, in a task of its own so that a slow heartbeat never delays a renewal), the sweep
//! of workers that are gone, and the periodic report of commands no live worker can run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::Shared;
use crate::worker::WorkerBeat;

/// Longest time between two looks for commands nobody handles.
const MAX_UNHANDLED_CHECK: Duration = Duration::from_secs(60);

/// Heartbeats at the rhythm of the lease renewals until stopped.
pub(crate) fn start(shared: Arc<Shared>, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = shared.config.lease_renew_interval();
        let mut registration = Registration::new(shared);
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = stop.cancelled() => return,
            }
            registration.tick().await;
        }
    })
}

/// The registry's work at each heartbeat.
struct Registration {
    shared: Arc<Shared>,
    next_unhandled_check: Instant,
}

impl Registration {
    fn new(shared: Arc<Shared>) -> Self {
        let next_unhandled_check = Instant::now() + unhandled_check_every(&shared);
        Self {
            shared,
            next_unhandled_check,
        }
    }

    /// Heartbeat, sweep, and (when due) the unhandled report. Each statement is bounded like
    /// a renewal, and a failure only waits for the next tick.
    async fn tick(&mut self) {
        let limit = self.shared.config.renew_timeout();
        let beat = beat(&self.shared);
        match tokio::time::timeout(limit, self.shared.store.heartbeat(&beat)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "worker heartbeat failed"),
            Err(_) => tracing::warn!(timeout = ?limit, "worker heartbeat timed out"),
        }
        match tokio::time::timeout(limit, self.shared.store.sweep_workers()).await {
            Ok(Ok(0)) | Err(_) => {}
            Ok(Ok(gone)) => tracing::info!(gone, "forgot workers whose heartbeat stopped"),
            Ok(Err(error)) => tracing::debug!(%error, "sweeping gone workers failed"),
        }
        if Instant::now() >= self.next_unhandled_check {
            self.next_unhandled_check = Instant::now() + unhandled_check_every(&self.shared);
            self.report_unhandled().await;
        }
    }

    async fn report_unhandled(&self) {
        let config = &self.shared.config;
        let found = tokio::time::timeout(
            config.claim_timeout(),
            self.shared.store.unhandled(config.unhandled_after),
        )
        .await;
        let unhandled = match found {
            Ok(Ok(unhandled)) => unhandled,
            Ok(Err(error)) => {
                return tracing::debug!(%error, "looking for unhandled commands failed");
            }
            Err(_) => return tracing::debug!("looking for unhandled commands timed out"),
        };
        for u in unhandled {
            tracing::warn!(
                command.target = %u.target, command.name = %u.name, waiting = u.waiting,
                oldest_due = %u.oldest_due,
                "commands wait with no live worker of their target that handles their name"
            );
        }
    }
}

/// Registers this worker (at start).
pub(crate) async fn register(shared: &Shared) -> crate::Result<()> {
    shared.store.heartbeat(&beat(shared)).await
}

/// Removes this worker's row (at shutdown); a failure leaves it to be swept.
pub(crate) async fn deregister(shared: &Shared) {
    let limit = shared.config.renew_timeout();
    let gone = tokio::time::timeout(limit, shared.store.deregister_worker(shared.worker_id)).await;
    if !matches!(gone, Ok(Ok(()))) {
        tracing::debug!("could not remove this worker's registry row; it will be swept");
    }
}

fn beat(shared: &Shared) -> WorkerBeat {
    WorkerBeat::new(
        shared.worker_id,
        &shared.config,
        &shared.names,
        shared.running.len(),
    )
}

fn unhandled_check_every(shared: &Shared) -> Duration {
    (shared.config.unhandled_after / 2).min(MAX_UNHANDLED_CHECK)
}
