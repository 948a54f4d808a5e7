//! Runs one claimed command as a pipeline of steps: register the run → run the handler under
//! its timeout (or skip it when the command is already cancelled or out of retries) → decide
//! the transition → hand it to the completer → free the slot.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use tokio::sync::{AcquireError, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::completer::{Completer, Written};
use super::outcome::{self, Ended};
use super::{Completion, RunControl, StopReason};
use crate::client::Shared;
use crate::handler::Context;
use crate::handler::registry::{Entry, RunEnd};
use crate::record::FailureKind;
use crate::store::{ClaimedCommand, Transition, TransitionKind};
use crate::telemetry;

/// The span every event of a run is recorded in, the handler's own included: it names the
/// command, its attempt, its target and the worker.
pub(crate) fn span(shared: &Shared, command: &ClaimedCommand) -> tracing::Span {
    tracing::info_span!(
        "orchestratum.run",
        command.id = %command.id,
        command.name = %command.name,
        command.attempt = command.attempt,
        command.target = %shared.config.instance_key,
        worker.id = %shared.worker_id,
    )
}

/// A claimed command's wait for a run slot (`max_command_pull` of them), already queued on
/// the slots' fair semaphore in claim order, so that commands claimed ahead start in that order
/// (priority first) whichever executor task runs first.
pub(crate) type Turn =
    Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// Queues a wait for a run slot now (it is served in the order of these calls).
pub(crate) async fn queue_for_slot(run_slots: &Arc<Semaphore>) -> Turn {
    let mut turn: Turn = Box::pin(run_slots.clone().acquire_owned());
    // One poll takes its place in the semaphore's queue (or its permit, if one is free).
    if let Poll::Ready(permit) =
        std::future::poll_fn(|cx| Poll::Ready(turn.as_mut().poll(cx))).await
    {
        turn = Box::pin(std::future::ready(permit));
    }
    turn
}

/// Where a claimed command waits for its turn: `held` is its place among the claimed commands
/// (the claim room, `max_command_pull` plus the claim-ahead), `turn` its queued wait for a run
/// slot. `stop` fires when the worker stops claiming.
pub(crate) struct Seat {
    pub held: OwnedSemaphorePermit,
    pub turn: Turn,
    pub name_permit: Option<OwnedSemaphorePermit>,
    pub freed: Arc<Notify>,
    pub stop: CancellationToken,
}

pub(crate) async fn execute(
    shared: Arc<Shared>,
    completer: Completer,
    command: ClaimedCommand,
    valid_until: Instant,
    seat: Seat,
) {
    let control = Arc::new(RunControl::new(command.lease_token, valid_until));
    // Registered while it waits too: its lease is renewed and a cancel request reaches it.
    let stale = shared.running.insert(command.id, control.clone());
    // Frees the slot however this task ends, even by a panic in user code.
    let mut slot = Slot {
        shared: shared.clone(),
        id: command.id,
        control: control.clone(),
        permit: Some(seat.held),
        run_permit: None,
        name_permit: seat.name_permit,
        freed: seat.freed,
    };
    if let Some(stale) = stale {
        // This process claimed the command again, so its earlier run here stalled past its
        // lease (a paused VM, a blocked runtime). That run is stale: stop it, and start this one
        // only once its handler is gone, so that two runs of one command never overlap here.
        tracing::warn!(
            "command reclaimed by the process that ran it: stopping the stale run first"
        );
        stale.stop(StopReason::LeaseLost);
        stale.finished().await;
    }
    let entry = shared.registry.get(&command.name).cloned();
    tracing::debug!("command started");

    let mut began = Instant::now();
    let (ended, ran) = match wait_to_start(&shared, &control, seat.turn, &seat.stop).await {
        Ok(run_permit) => {
            began = Instant::now();
            shared.metrics.in_flight(1.0);
            slot.run_permit = Some(run_permit);
            run(&shared, &command, entry.as_ref(), &control).await
        }
        Err(ended) => (ended, false),
    };
    let run_time = if ran { began.elapsed() } else { Duration::ZERO };
    // The handler is gone: the lease keeper must not mistake the lease its outcome clears for a
    // lost one. (The handler's token is left alone: nothing was stopped.)
    control.finish();
    // Its run slot goes to the next claimed command now: holding it through the outcome write
    // capped the handlers that could run at `max_command_pull` per write's round trip. The lease
    // (and the claim room's slot) stays held until the outcome is written.
    slot.end_run();

    let completion = control.completion();
    if completion == Completion::Committed {
        completed_in_handler(&shared, &command, &ended, run_time);
        return;
    }
    match outcome::decide(&command, ended, entry.as_ref(), shared.row_rules()) {
        Some(mut transition) => {
            transition.ran = ran;
            let event = TransitionEvent::of(&transition);
            match completer.complete(transition).await {
                Written::Applied => {
                    shared.outcome(command.id, &command.name, event.outcome(), run_time);
                    event.log();
                }
                // The completer logged the refusal and the failure it wrote instead.
                Written::Refused => shared.outcome(
                    command.id,
                    &command.name,
                    telemetry::Outcome::Refused,
                    run_time,
                ),
                // The fence refused it: perhaps because the handler's own commit, whose answer
                // never came, went through after all and cleared the lease this write presented.
                Written::NotApplied if completion == Completion::Committing => {
                    uncertain_completion(&shared, &command, run_time).await
                }
                Written::NotApplied => tracing::warn!(
                    "outcome not written: the lease was lost and another run owns the command"
                ),
            }
        }
        None if completion == Completion::Committing => {
            uncertain_completion(&shared, &command, run_time).await
        }
        None => tracing::warn!("run abandoned: lease lost"),
    }
}

/// The handler completed its command in its own transaction: the database already says
/// completed, with the follow-ups, so nothing is written; how the run ended after that (an
/// error returned, a timeout, a lost lease) changes nothing.
fn completed_in_handler(shared: &Shared, command: &ClaimedCommand, ended: &Ended, run: Duration) {
    completed_in_transaction(shared, command, run);
    let after = match ended {
        Ended::Succeeded { .. } => return,
        Ended::Failed { error, .. } => error.as_str(),
        Ended::Cancelled { reason } => reason.as_str(),
        Ended::Released => "stopped by shutdown",
        Ended::LeaseLost => "lease lost",
    };
    tracing::warn!(
        ended = after,
        "the run ended badly after its handler's transaction completed the command; the completion stands"
    );
}

fn completed_in_transaction(shared: &Shared, command: &ClaimedCommand, run: Duration) {
    shared.outcome(
        command.id,
        &command.name,
        telemetry::Outcome::Completed,
        run,
    );
    tracing::debug!("command completed in its handler's transaction");
}

/// The handler's commit was sent but its answer never came back, and the executor's own write
/// was not applied: the row says what happened.
async fn uncertain_completion(shared: &Shared, command: &ClaimedCommand, run: Duration) {
    // Boxed: the store's read is a large future, and inline it made every run's state about
    // 10 KB instead of 1.5 KB, copied at each spawn (decision 0009, fifth pass).
    let read = Box::pin(shared.store.get(command.id));
    match read.await {
        Ok(Some(record)) if record.state() == crate::record::State::Completed => {
            completed_in_transaction(shared, command, run)
        }
        Ok(_) => tracing::warn!(
            "outcome not written: the lease was lost and another run owns the command"
        ),
        Err(error) => tracing::warn!(
            %error,
            "outcome not written, and whether the handler's transaction completed the command is unknown"
        ),
    }
}

/// Waits for a free run slot. A command claimed ahead does not start once the worker stops
/// claiming (it is released, not charged a retry), once its run was stopped (a cancel request,
/// a lost lease), or when its lease is too close to lapsing for a run to be safe (released:
/// the fenced write is a no-op if the lease is already gone).
async fn wait_to_start(
    shared: &Shared,
    control: &RunControl,
    mut turn: Turn,
    stop: &CancellationToken,
) -> Result<OwnedSemaphorePermit, Ended> {
    let margin = shared.config.lease_margin() + shared.config.cancel_grace;
    loop {
        let start_by = before(control.valid_until(), margin);
        tokio::select! {
            biased;
            () = control.token.cancelled() => return Err(match control.reason() {
                Some(StopReason::LeaseLost) => Ended::LeaseLost,
                Some(StopReason::Shutdown) => Ended::Released,
                Some(StopReason::CancelRequested) | None => Ended::Cancelled { reason: "cancel requested".into() },
            }),
            () = stop.cancelled() => return Err(Ended::Released),
            permit = &mut turn => return permit.map_err(|_| Ended::Released),
            // A renewal may have moved the deadline meanwhile: checked again on waking.
            () = tokio::time::sleep_until(start_by.into()) => {
                if Instant::now() >= before(control.valid_until(), margin) {
                    tracing::warn!("lease too close to lapsing to start the run: releasing the command");
                    return Err(Ended::Released);
                }
            }
        }
    }
}

/// A claimed command's place in this worker: removed from the running set, and its slots given
/// back to the claimer, when dropped.
struct Slot {
    shared: Arc<Shared>,
    id: uuid::Uuid,
    control: Arc<RunControl>,
    permit: Option<OwnedSemaphorePermit>,
    /// Its run slot, once its handler may start.
    run_permit: Option<OwnedSemaphorePermit>,
    /// The slot of a locally limited name (`Builder::local_limit`).
    name_permit: Option<OwnedSemaphorePermit>,
    freed: Arc<Notify>,
}

impl Slot {
    /// Gives the run slot back once the handler is gone.
    fn end_run(&mut self) {
        if self.run_permit.take().is_some() {
            self.shared.metrics.in_flight(-1.0);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.end_run();
        self.control.finish();
        self.shared.running.remove(self.id, &self.control);
        // Give the permits back before waking the claimer, or it would find no free slot.
        drop(self.name_permit.take());
        drop(self.permit.take());
        self.freed.notify_one();
    }
}

async fn run(
    shared: &Arc<Shared>,
    command: &ClaimedCommand,
    entry: Option<&Entry>,
    control: &Arc<RunControl>,
) -> (Ended, bool) {
    // A cancel request wins over everything else: the caller asked for it.
    if command.cancel_requested {
        let ended = Ended::Cancelled {
            reason: "cancel requested".into(),
        };
        return (ended, false);
    }
    if command.retries_left < 0 {
        let ended = Ended::Failed {
            kind: FailureKind::LeaseExpired,
            error: "lease expired: the worker running it stopped renewing, and no retries are left"
                .into(),
        };
        return (ended, false);
    }
    let Some(handler) = entry.and_then(|e| e.handler.clone()) else {
        // Claims filter by handled names, so only a registry bug lands here.
        let ended = Ended::Failed {
            kind: FailureKind::Failed,
            error: format!("no handler registered for `{}`", command.name),
        };
        return (ended, false);
    };
    let ctx = Context {
        id: command.id,
        name: command.name.clone(),
        attempt: u32::try_from(command.attempt).unwrap_or(0),
        retries_left: command.retries_left,
        token: control.token.clone(),
        workflow_id: command.workflow_id,
        test_parents: None,
        link: Some(crate::handler::RunLink {
            shared: shared.clone(),
            lease_token: command.lease_token,
            control: control.clone(),
        }),
    };
    let config = &shared.config;
    let (grace, margin) = (config.cancel_grace, config.lease_margin());
    // Polled in place, not spawned: a task of its own cost a second spawn per command (about
    // a tenth of the worker's CPU in a drain of no-op commands). A panic is caught as a
    // failure all the same, and dropping the future is what an abort did.
    let started = Instant::now();
    let _ran = Ran(&shared.metrics, &command.name, started);
    let mut task =
        AssertUnwindSafe(handler.run(command.input.clone(), ctx).in_current_span()).catch_unwind();
    // One timer per run: until the earlier of the timeout and the lease deadline (token at
    // `valid_until - margin - grace`); a renewal that moved the deadline meanwhile is seen
    // when it wakes. Biased: once the run has been stopped (its token fired), the stop decides
    // the outcome, even if the handler returned at the same instant.
    let timeout_at = Instant::now() + command.timeout;
    // A command its handler completed in its own transaction holds no lease any more: only
    // the timeout still stops the run.
    let lease_matters = || control.completion() == Completion::None;
    let stopped = loop {
        let stop_at = if lease_matters() {
            before(control.valid_until(), margin + grace)
        } else {
            timeout_at
        };
        tokio::select! {
            biased;
            () = control.token.cancelled() => break match control.reason() {
                Some(StopReason::LeaseLost) => Ended::LeaseLost,
                Some(StopReason::Shutdown) => Ended::Released,
                Some(StopReason::CancelRequested) | None => Ended::Cancelled { reason: "cancel requested".into() },
            },
            joined = &mut task => return (joined_end(joined), true),
            () = tokio::time::sleep_until(timeout_at.min(stop_at).into()) => {
                if lease_matters() && Instant::now() >= before(control.valid_until(), margin + grace) {
                    tracing::warn!("lease not renewed in time: stopping the run before it can lapse");
                    control.stop(StopReason::LeaseLost);
                    break Ended::LeaseLost;
                }
                if Instant::now() >= timeout_at {
                    control.token.cancel();
                    break Ended::Failed {
                        kind: FailureKind::TimedOut,
                        error: format!("timed out after {:?}", command.timeout),
                    };
                }
            }
        }
    };
    // The token has fired: the handler may clean up and return within the grace, but what
    // stopped it decides the outcome, whatever it returns. Then its future is dropped, and
    // always before the lease could lapse.
    let drop_at = if lease_matters() {
        (Instant::now() + grace).min(before(control.valid_until(), margin))
    } else {
        Instant::now() + grace
    };
    let returned = tokio::select! {
        _ = &mut task => true,
        () = tokio::time::sleep_until(drop_at.into()) => false,
    };
    if !returned {
        drop(task);
    }
    (stopped, true)
}

/// Records the handler's run time when the run is over, however it ended.
struct Ran<'a>(&'a telemetry::Metrics, &'a str, Instant);

impl Drop for Ran<'_> {
    fn drop(&mut self) {
        self.0.ran(self.1, self.2.elapsed());
    }
}

fn joined_end(joined: Result<RunEnd, Box<dyn Any + Send>>) -> Ended {
    match joined {
        Ok(RunEnd::Succeeded { output, follow_ups }) => Ended::Succeeded { output, follow_ups },
        Ok(RunEnd::Failed { kind, error }) => Ended::Failed { kind, error },
        Ok(RunEnd::Cancelled { reason }) => Ended::Cancelled { reason },
        Err(payload) => Ended::Failed {
            kind: FailureKind::Panicked,
            error: format!("handler panicked: {}", panic_message(payload.as_ref())),
        },
    }
}

/// `margin` before `at` (or `at` itself when that is earlier than the clock can tell).
fn before(at: Instant, margin: Duration) -> Instant {
    at.checked_sub(margin).unwrap_or(at)
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

/// What is logged once a transition is written.
enum TransitionEvent {
    Completed { follow_ups: usize },
    Retry { error: String, retries_left: i32 },
    Failed { error: String, follow_ups: usize },
    Canceled { reason: String, follow_ups: usize },
    Released,
}

impl TransitionEvent {
    fn of(t: &Transition) -> Self {
        let follow_ups = t.follow_ups.len();
        match &t.kind {
            TransitionKind::Complete { .. } => Self::Completed { follow_ups },
            TransitionKind::Retry { error, .. } => Self::Retry {
                error: error.clone(),
                retries_left: t.retries_left.unwrap_or_default(),
            },
            TransitionKind::Fail { error, .. } => Self::Failed {
                error: error.clone(),
                follow_ups,
            },
            TransitionKind::Cancel { reason } => Self::Canceled {
                reason: reason.clone(),
                follow_ups,
            },
            TransitionKind::Release => Self::Released,
        }
    }

    /// What the metrics call it.
    fn outcome(&self) -> telemetry::Outcome {
        match self {
            Self::Completed { .. } => telemetry::Outcome::Completed,
            Self::Retry { .. } => telemetry::Outcome::Retried,
            Self::Failed { .. } => telemetry::Outcome::Failed,
            Self::Canceled { .. } => telemetry::Outcome::Canceled,
            Self::Released => telemetry::Outcome::Released,
        }
    }

    /// Logs the written transition, inside the run's span (which names the command): routine
    /// ones at debug, a retry and a cancellation at info, a final failure at warn.
    fn log(&self) {
        match self {
            Self::Completed { follow_ups } => {
                tracing::debug!(follow_ups, "command completed")
            }
            Self::Retry {
                error,
                retries_left,
            } => tracing::info!(
                retries_left,
                error = error.as_str(),
                "command failed; retry scheduled"
            ),
            Self::Failed { error, follow_ups } => {
                tracing::warn!(follow_ups, error = error.as_str(), "command failed")
            }
            Self::Canceled { reason, follow_ups } => {
                tracing::info!(follow_ups, reason = reason.as_str(), "command canceled")
            }
            Self::Released => tracing::debug!("command released at shutdown"),
        }
    }
}
