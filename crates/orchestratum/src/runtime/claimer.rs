//! Claims due commands up to the free room (the run slots plus those its pace holds ahead) and hands
//! each to an executor. Woken by a local push, a PostgreSQL notification, a freed slot after a
//! full batch, the next due time, or the polling interval, whichever comes first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::completer::Completer;
use super::executor;
use super::pace::Pace;
use crate::client::Shared;
use crate::error::Error;
use crate::store::{ClaimParams, ClaimedCommand};

/// Shortest idle wait: a due row locked by someone else's transaction is skipped by the claim
/// but still reported due, and must not make the claimer spin.
const MIN_IDLE_WAIT: Duration = Duration::from_millis(10);
/// Longest a backlogged claimer waits for more slots to free before claiming what it has.
const REFILL_WAIT: Duration = Duration::from_millis(5);
/// Longest wait after a failed claim before trying again.
const MAX_ERROR_BACKOFF: Duration = Duration::from_secs(5);

/// What one claim took.
#[derive(Default)]
struct Round {
    commands: Vec<ClaimedCommand>,
    /// The local slot of each of the first commands, by position (capped names come first).
    name_permits: Vec<Option<OwnedSemaphorePermit>>,
    /// Capped names at their limit after this claim.
    saturated: Vec<String>,
}

pub(crate) struct Claimer {
    pub shared: Arc<Shared>,
    /// The claim room: `max_command_pull` plus the most claimed ahead ([`super::pace::ceiling`]),
    /// of which the claimer uses what its pace asks for.
    pub slots: Arc<Semaphore>,
    /// The run slots: `max_command_pull` handlers at once.
    pub run_slots: Arc<Semaphore>,
    pub slot_freed: Arc<Notify>,
    pub completer: Completer,
    pub stop: CancellationToken,
}

impl Claimer {
    pub fn start(self) -> JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let config = &self.shared.config;
        let mut error_backoff = Duration::from_millis(50);
        // After a full batch more commands are likely due: wait for enough free slots to claim
        // a worthwhile batch, rather than one statement per finished command.
        let mut backlog = false;
        let mut pace = Pace::new(config.max_command_pull, Instant::now());
        while !self.stop.is_cancelled() {
            let free = if backlog {
                self.refill(&pace).await
            } else {
                self.free_slot(&pace).await
            };
            if self.stop.is_cancelled() {
                break;
            }
            let asked_at = Instant::now();
            // A claim that hangs is given up: rows it may have claimed lapse and are taken
            // again later (charged a retry), which beats a worker stuck on a silent connection.
            let round = tokio::time::timeout(config.claim_timeout(), self.claim(free))
                .await
                .unwrap_or_else(|_| Err(Error::TimedOut("claiming commands")));
            let (claimed, mut name_permits, saturated) = match round {
                Ok(Round {
                    commands: claimed,
                    name_permits,
                    saturated,
                }) => {
                    error_backoff = Duration::from_millis(50);
                    pace.claimed(claimed.len(), Instant::now());
                    self.shared.metrics.claimed(asked_at.elapsed(), &claimed);
                    tracing::trace!(count = claimed.len(), asked = free, elapsed = ?asked_at.elapsed(), "claimed");
                    (claimed, name_permits.into_iter(), saturated)
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?error_backoff, "claiming commands failed");
                    tokio::select! {
                        () = tokio::time::sleep(error_backoff) => {}
                        () = self.stop.cancelled() => {}
                    }
                    error_backoff = (error_backoff * 2).min(MAX_ERROR_BACKOFF);
                    continue;
                }
            };
            let full = claimed.len() >= free;
            for command in claimed {
                let name_permit = name_permits.next().flatten();
                let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                    // Only this task takes slots, and it counted them: unreachable in practice.
                    tracing::error!(command.id = %command.id, "no free slot for a claimed command; its lease will lapse");
                    continue;
                };
                let valid_until = asked_at + config.lock_timeout_buffer;
                let span = executor::span(&self.shared, &command);
                let seat = executor::Seat {
                    held: permit,
                    turn: executor::queue_for_slot(&self.run_slots).await,
                    name_permit,
                    freed: self.slot_freed.clone(),
                    stop: self.stop.clone(),
                };
                tokio::spawn(
                    executor::execute(
                        self.shared.clone(),
                        self.completer.clone(),
                        command,
                        valid_until,
                        seat,
                    )
                    .instrument(span),
                );
            }
            backlog = full;
            if full {
                continue;
            }
            // A name at its limit is not due for us: waiting on it would spin. A freed slot
            // (one of its runs here ending) wakes the claimer instead, or the polling interval.
            let due_names: std::borrow::Cow<'_, [String]> = if saturated.is_empty() {
                std::borrow::Cow::Borrowed(&self.shared.names)
            } else {
                self.shared
                    .names
                    .iter()
                    .filter(|n| !saturated.contains(n))
                    .cloned()
                    .collect()
            };
            let next_due = tokio::time::timeout(
                config.claim_timeout(),
                self.shared.store.next_due(&config.instance_key, &due_names),
            );
            let wait = match next_due.await {
                Ok(Ok(Some(due))) => due.min(config.polling_interval),
                _ => config.polling_interval,
            };
            tokio::select! {
                () = self.shared.wake.notified() => {}
                () = self.slot_freed.notified(), if !saturated.is_empty() => {}
                () = tokio::time::sleep(wait.max(MIN_IDLE_WAIT)) => {}
                () = self.stop.cancelled() => {}
            }
        }
    }

    fn params<'a>(&'a self, names: &'a [String], limit: usize) -> ClaimParams<'a> {
        ClaimParams {
            target: &self.shared.config.instance_key,
            names,
            limit,
            lease: self.shared.config.lock_timeout_buffer,
            worker: self.shared.worker_id,
        }
    }

    /// Claims up to `free` commands. Without limits this is the one claim statement. With
    /// them, each capped name is claimed on its own first, up to its room here and (for a
    /// fleet limit) in the fleet; the other names then get the slots left in one statement, so
    /// a capped name never holds them back.
    async fn claim(&self, free: usize) -> crate::error::Result<Round> {
        let flow = &self.shared.flow;
        if flow.capped.is_empty() {
            let commands = self
                .shared
                .store
                .claim(self.params(&self.shared.names, free))
                .await?;
            return Ok(Round {
                name_permits: Vec::new(),
                saturated: Vec::new(),
                commands,
            });
        }
        let mut round = Round::default();
        let mut left = free;
        for capped in &flow.capped {
            if left == 0 {
                break;
            }
            let local_room = capped
                .local
                .as_ref()
                .map_or(usize::MAX, |s| s.available_permits());
            let ask = left.min(local_room);
            if ask == 0 {
                round.saturated.extend(capped.names.iter().cloned());
                continue;
            }
            let got = match self
                .shared
                .store
                .claim_capped(self.params(&capped.names, ask), capped.fleet)
                .await
            {
                Ok(got) => got,
                // What was claimed so far is held: run it rather than let its leases lapse.
                Err(error) if !round.commands.is_empty() => {
                    tracing::warn!(%error, "claiming a capped command name failed");
                    return Ok(round);
                }
                Err(error) => return Err(error),
            };
            let taken = got.commands.len();
            let fleet_full = got.fleet_room.is_some_and(|room| taken >= room);
            if fleet_full || taken >= local_room {
                round.saturated.extend(capped.names.iter().cloned());
            }
            left -= taken.min(left);
            for command in got.commands {
                let permit = capped
                    .local
                    .as_ref()
                    .and_then(|s| s.clone().try_acquire_owned().ok());
                round.commands.push(command);
                round.name_permits.push(permit);
            }
        }
        if left > 0 && !flow.uncapped.is_empty() {
            let claimed = self
                .shared
                .store
                .claim(self.params(&flow.uncapped, left))
                .await;
            match claimed {
                Ok(commands) => round.commands.extend(commands),
                Err(error) if !round.commands.is_empty() => {
                    tracing::warn!(%error, "claiming commands failed");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(round)
    }

    /// Waits for at least one slot the pace lets it use; returns how many.
    async fn free_slot(&self, pace: &Pace) -> usize {
        loop {
            let free = pace.usable(self.slots.available_permits());
            if free > 0 || self.stop.is_cancelled() {
                return free;
            }
            tokio::select! {
                () = self.slot_freed.notified() => {}
                () = self.stop.cancelled() => {}
            }
        }
    }

    /// Waits until a quarter of the paced room (the run slots and the commands held ahead) is
    /// free, or `REFILL_WAIT` after the first slot freed; returns how many slots it may use.
    async fn refill(&self, pace: &Pace) -> usize {
        let threshold = pace.refill_at();
        let mut first_freed: Option<Instant> = None;
        loop {
            let free = pace.usable(self.slots.available_permits());
            if free >= threshold || self.stop.is_cancelled() {
                return free;
            }
            let waited = match (free, first_freed) {
                (0, _) => None,
                (_, None) => {
                    first_freed = Some(Instant::now());
                    Some(Duration::ZERO)
                }
                (_, Some(at)) => Some(at.elapsed()),
            };
            match waited {
                Some(w) if w >= REFILL_WAIT => return free,
                Some(w) => tokio::select! {
                    () = self.slot_freed.notified() => {}
                    () = tokio::time::sleep(REFILL_WAIT - w) => {}
                    () = self.stop.cancelled() => {}
                },
                None => tokio::select! {
                    () = self.slot_freed.notified() => {}
                    () = self.stop.cancelled() => {}
                },
            }
        }
    }
}
