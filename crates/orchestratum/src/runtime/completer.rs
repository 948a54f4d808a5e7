//! Writes outcomes in batches: whatever runs ended while the last write was in flight go in
//! the next one. Each outcome is fenced per row, and its follow-ups commit with it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::client::Shared;
use crate::store::Transition;

/// Most outcomes written by one statement.
const MAX_BATCH: usize = 500;
/// First wait after a failed write; doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

type Item = (Transition, oneshot::Sender<bool>);

/// The executors' handle on the completer.
#[derive(Clone)]
pub(crate) struct Completer {
    tx: mpsc::UnboundedSender<Item>,
}

impl Completer {
    pub fn start(shared: Arc<Shared>, stop: CancellationToken) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, tokio::spawn(run(shared, rx, stop)))
    }

    /// Queues an outcome and resolves once it is written: `true` if applied, `false` if the
    /// fence rejected it (another run owns the command now) or the completer stopped.
    pub async fn complete(&self, transition: Transition) -> bool {
        let (ack, done) = oneshot::channel();
        if self.tx.send((transition, ack)).is_err() {
            return false;
        }
        done.await.unwrap_or(false)
    }
}

async fn run(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Item>, stop: CancellationToken) {
    loop {
        let first = tokio::select! {
            item = rx.recv() => match item { Some(item) => item, None => return },
            () = stop.cancelled() => match rx.try_recv() { Ok(item) => item, Err(_) => return },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let (transitions, acks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let started = std::time::Instant::now();
        let applied: HashSet<Uuid> = write(&shared, &transitions, &stop)
            .await
            .into_iter()
            .collect();
        tracing::trace!(count = transitions.len(), applied = applied.len(), elapsed = ?started.elapsed(), "outcomes written");
        let key = &shared.config.instance_key;
        let local_follow_ups = transitions
            .iter()
            .any(|t| applied.contains(&t.id) && t.follow_ups.iter().any(|f| &f.target == key));
        for (t, ack) in transitions.iter().zip(acks) {
            let _ = ack.send(applied.contains(&t.id));
        }
        // Follow-ups for this instance are due now: claim them without waiting for a poll
        // (PostgreSQL would also notify, but only after a round trip).
        if local_follow_ups {
            shared.wake.notify_one();
        }
        shared.finished.notify_waiters();
    }
}

/// Writes one batch, retrying with backoff while the database is unreachable: an outcome is
/// never dropped while its lease can still be renewed. Gives up only once stopped.
async fn write(
    shared: &Shared,
    transitions: &[Transition],
    stop: &CancellationToken,
) -> Vec<uuid::Uuid> {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match shared.store.record_outcomes(transitions).await {
            Ok(applied) => return applied,
            Err(error) => {
                tracing::warn!(%error, count = transitions.len(), "writing outcomes failed; retrying");
                if stop.is_cancelled() && backoff >= MAX_BACKOFF {
                    tracing::error!(
                        count = transitions.len(),
                        "giving up on outcomes at shutdown; their leases will lapse"
                    );
                    return Vec::new();
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}
