//! Writes outcomes in batches: whatever runs ended while the last write was in flight go in
//! the next one. Each outcome is fenced per row, and its follow-ups commit with it.
//!
//! A batch that fails for a transient reason (connection lost, timeout, lock conflict) is
//! written again with backoff. A batch the database refuses is split until the refused
//! outcome is alone; that command then ends failed with the database's reason, and its
//! neighbours are written as they were. At shutdown, writes stop being retried at the flush
//! deadline.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::outcome;
use crate::client::Shared;
use crate::error::{Error, Result};
use crate::record::FailureKind;
use crate::store::{Transition, TransitionKind};

/// Most outcomes written by one statement.
const MAX_BATCH: usize = 500;
/// First wait after a failed write; doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest wait for one write, in first waits (`Config::write_timeout`).
const MAX_WRITE_TIMEOUT_GROWTH: u32 = 8;

/// What became of one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// Written as decided.
    Applied,
    /// The database refused it; the command was failed with the reason instead.
    Refused,
    /// Not written: the fence rejected it (another run owns the command now), or the worker
    /// stopped before it could be written.
    NotApplied,
}

type Item = (Transition, oneshot::Sender<Written>);

/// The executors' handle on the completer.
#[derive(Clone)]
pub(crate) struct Completer {
    tx: mpsc::UnboundedSender<Item>,
}

/// When the completer stops retrying writes: set once, at shutdown.
pub(crate) type FlushDeadline = Arc<OnceLock<Instant>>;

impl Completer {
    pub fn start(
        shared: Arc<Shared>,
        stop: CancellationToken,
        flush_by: FlushDeadline,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Writer { shared, flush_by };
        (Self { tx }, tokio::spawn(writer.run(rx, stop)))
    }

    /// Queues an outcome and resolves once it is written (or given up).
    pub async fn complete(&self, transition: Transition) -> Written {
        let (ack, done) = oneshot::channel();
        if self.tx.send((transition, ack)).is_err() {
            return Written::NotApplied;
        }
        done.await.unwrap_or(Written::NotApplied)
    }
}

struct Writer {
    shared: Arc<Shared>,
    flush_by: FlushDeadline,
}

/// The next batch: `first`, then the held outcomes, then what is queued, at most one outcome
/// per command. A stale run's outcome and the outcome of the run that took the command over
/// can both be queued here (this worker reclaimed a command whose earlier run it lost): the
/// store reports the ids it applied, so in one batch the stale one would count as applied
/// too and its follow-ups would be enqueued beside the new run's. A second outcome for a
/// command waits in `held` for a later batch, where its fence decides alone.
fn next_batch(
    first: Item,
    held: &mut Vec<Item>,
    rx: &mut mpsc::UnboundedReceiver<Item>,
) -> Vec<Item> {
    let mut ids = HashSet::from([first.0.id]);
    let mut batch = vec![first];
    let mut later = Vec::new();
    for item in std::mem::take(held) {
        if batch.len() < MAX_BATCH && ids.insert(item.0.id) {
            batch.push(item);
        } else {
            later.push(item);
        }
    }
    while batch.len() < MAX_BATCH {
        let Ok(item) = rx.try_recv() else { break };
        if ids.insert(item.0.id) {
            batch.push(item);
        } else {
            later.push(item);
        }
    }
    *held = later;
    batch
}

impl Writer {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Item>, stop: CancellationToken) {
        // Outcomes held back from the last batch because it already had one for their command.
        let mut held = Vec::new();
        loop {
            let first = if held.is_empty() {
                tokio::select! {
                    item = rx.recv() => match item { Some(item) => item, None => return },
                    () = stop.cancelled() => match rx.try_recv() { Ok(item) => item, Err(_) => return },
                }
            } else {
                held.remove(0)
            };
            let batch = next_batch(first, &mut held, &mut rx);
            let (transitions, acks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let started = Instant::now();
            let mut written = vec![Written::NotApplied; transitions.len()];
            self.write_isolating(&transitions, &mut written).await;
            tracing::trace!(count = transitions.len(), elapsed = ?started.elapsed(), "outcomes written");
            let key = &self.shared.config.instance_key;
            // Follow-ups for this instance, retries and released commands are claimable here
            // now (or at their due time), and so may be the steps a step's end released: look
            // without waiting for a poll.
            let wake = transitions.iter().zip(&written).any(|(t, w)| {
                *w == Written::Applied
                    && (matches!(
                        t.kind,
                        TransitionKind::Retry { .. } | TransitionKind::Release
                    ) || t.step
                        || t.follow_ups.iter().any(|f| &f.target == key))
            });
            let enqueued = transitions
                .iter()
                .zip(&written)
                .filter(|(_, w)| **w == Written::Applied)
                .flat_map(|(t, _)| &t.follow_ups);
            self.shared.metrics.pushed(enqueued);
            for (w, ack) in written.into_iter().zip(acks) {
                let _ = ack.send(w);
            }
            if wake {
                self.shared.wake.notify_one();
            }
            self.shared.finished.notify_waiters();
        }
    }

    /// Writes `transitions`, splitting around outcomes the database refuses; records in
    /// `written` what became of each.
    async fn write_isolating(&self, transitions: &[Transition], written: &mut [Written]) {
        // Halves still to write, as (start, end) ranges of `transitions`.
        let mut pending = vec![(0, transitions.len())];
        while let Some((start, end)) = pending.pop() {
            let part = &transitions[start..end];
            match self.write(part).await {
                Ok(applied) => {
                    let applied: HashSet<Uuid> = applied.into_iter().collect();
                    for (t, w) in part.iter().zip(&mut written[start..end]) {
                        if applied.contains(&t.id) {
                            *w = Written::Applied;
                        }
                    }
                }
                Err(Some(refusal)) if part.len() == 1 => {
                    written[start] = self.store_refusal(&part[0], &refusal).await;
                }
                Err(Some(_)) => {
                    let mid = start + part.len() / 2;
                    pending.push((mid, end));
                    pending.push((start, mid));
                }
                // Given up at shutdown: left as not applied, their leases will lapse.
                Err(None) => {}
            }
        }
    }

    /// Ends a command whose outcome was refused as failed, with the database's reason and no
    /// follow-ups.
    async fn store_refusal(&self, refused: &Transition, refusal: &Error) -> Written {
        tracing::error!(
            command.id = %refused.id, error = %refusal,
            "the database refused this outcome; failing the command with the reason"
        );
        let reason = outcome::storable_text(format!(
            "outcome could not be stored ({} refused by the database: {refusal})",
            refused.columns().kind
        ));
        // If even the reason is refused, a fixed text: the failure must be recorded somehow.
        let fallback = "outcome could not be stored: the database refused it".to_owned();
        for error in [reason, fallback] {
            let failed = Transition {
                id: refused.id,
                lease_token: refused.lease_token,
                kind: TransitionKind::Fail {
                    error,
                    kind: FailureKind::OutcomeRefused,
                },
                retries_left: Some(-1),
                follow_ups: Vec::new(),
                ran: refused.ran,
                step: refused.step,
            };
            match self.write(std::slice::from_ref(&failed)).await {
                Ok(applied) if applied.contains(&refused.id) => return Written::Refused,
                Ok(_) | Err(None) => return Written::NotApplied,
                Err(Some(_)) => {}
            }
        }
        tracing::error!(command.id = %refused.id, "the database refused even the failure; its lease will lapse");
        Written::NotApplied
    }

    /// Writes one batch, retrying transient failures with backoff. `Err(Some(e))`: the
    /// database refused it; `Err(None)`: given up at the shutdown flush deadline.
    async fn write(&self, transitions: &[Transition]) -> Result<Vec<Uuid>, Option<Error>> {
        let mut backoff = FIRST_BACKOFF;
        let base = self.shared.config.write_timeout();
        let mut wait = base;
        loop {
            let limit = self.time_left().map_or(wait, |left| left.min(wait));
            let started = Instant::now();
            let attempt =
                tokio::time::timeout(limit, self.shared.store.record_outcomes(transitions))
                    .await
                    .unwrap_or(Err(Error::TimedOut("writing outcomes")));
            if matches!(attempt, Err(Error::TimedOut(_))) {
                wait = (wait * 2).min(base * MAX_WRITE_TIMEOUT_GROWTH);
            }
            let error = match attempt {
                Ok(applied) => {
                    self.shared
                        .metrics
                        .written(started.elapsed(), transitions.len());
                    return Ok(applied);
                }
                Err(error) if !error.is_transient() => return Err(Some(error)),
                Err(error) => error,
            };
            let left = self.time_left();
            if left.is_some_and(|left| left.is_zero()) {
                tracing::error!(%error, count = transitions.len(),
                    "giving up on outcomes at shutdown; their leases will lapse");
                return Err(None);
            }
            tracing::warn!(%error, count = transitions.len(), retry_in = ?backoff, "writing outcomes failed; retrying");
            tokio::time::sleep(left.map_or(backoff, |left| left.min(backoff))).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Time left before the shutdown flush deadline, once one is set.
    fn time_left(&self) -> Option<Duration> {
        self.flush_by
            .get()
            .map(|by| by.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TransitionKind;

    fn item(id: Uuid, token: Uuid) -> Item {
        let transition = Transition {
            id,
            lease_token: Some(token),
            kind: TransitionKind::Complete {
                output: "null".into(),
                note: None,
            },
            retries_left: None,
            follow_ups: Vec::new(),
            ran: true,
            step: false,
        };
        (transition, oneshot::channel().0)
    }

    fn tokens(batch: &[Item]) -> Vec<Uuid> {
        batch.iter().filter_map(|(t, _)| t.lease_token).collect()
    }

    #[test]
    fn a_batch_holds_one_outcome_per_command() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (x, y) = (Uuid::new_v4(), Uuid::new_v4());
        let (stale, fresh, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        tx.send(item(x, fresh)).unwrap();
        tx.send(item(y, other)).unwrap();
        let mut held = Vec::new();
        let batch = next_batch(item(x, stale), &mut held, &mut rx);
        assert_eq!(tokens(&batch), vec![stale, other]);
        assert_eq!(tokens(&held), vec![fresh], "the second outcome of x waits");
        let first = held.remove(0);
        let batch = next_batch(first, &mut held, &mut rx);
        assert_eq!(tokens(&batch), vec![fresh]);
        assert!(held.is_empty());
    }

    #[test]
    fn a_batch_stops_at_its_size_and_keeps_the_rest_queued() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for _ in 0..MAX_BATCH + 10 {
            tx.send(item(Uuid::new_v4(), Uuid::new_v4())).unwrap();
        }
        let mut held = Vec::new();
        let first = item(Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(next_batch(first, &mut held, &mut rx).len(), MAX_BATCH);
        assert!(held.is_empty());
        let mut left = 0;
        while rx.try_recv().is_ok() {
            left += 1;
        }
        assert_eq!(left, 11);
    }
}
