//! The worker runtime: a claimer that claims, executors that run handlers under timeout and
//! lease, a lease keeper that renews, and a completer that writes outcomes in batches.
//! `Runtime` owns their tasks and stops them in order.

mod claimer;
mod completer;
mod executor;
mod lease;
pub(crate) mod outcome;
mod pace;
pub(crate) mod registry;
mod retention;
mod stats;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use self::completer::FlushDeadline;
use crate::client::Shared;
use crate::error::Result;

/// How long a dropped worker waits for its stopped runs to release their leases.
const ABORT_FLUSH: Duration = Duration::from_secs(5);
/// How long `shutdown` keeps trying to write outcomes after the grace and the handlers'
/// cancel grace are over (the database may be down).
pub(crate) const SHUTDOWN_FLUSH: Duration = Duration::from_secs(5);

/// Why a run is being stopped before its handler returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    CancelRequested,
    /// Another run owns the command now, or the lease may lapse before it can be renewed.
    LeaseLost,
    Shutdown,
}

/// One in-flight run in this process: its lease and the switch that stops it.
pub(crate) struct RunControl {
    pub lease_token: Uuid,
    /// The handler's `Context` token; fires on stop and on timeout.
    pub token: CancellationToken,
    reason: OnceLock<StopReason>,
    /// Fired once the handler's future is gone (returned or dropped): only the outcome write,
    /// if any, is left. A newer run of the same command in this process waits for it.
    handler_gone: AtomicBool,
    /// Someone waits for `handler_gone` (only a newer run of the same command does): only then
    /// is `gone` notified, which takes a lock.
    awaited: AtomicBool,
    gone: Notify,
    /// Until when the lease surely holds, by this process's clock (the instant before the
    /// statement that set it was sent, plus the lease).
    valid_until: Mutex<Instant>,
    /// How far the handler got with completing the command in its own transaction (a
    /// [`Completion`] as a number).
    completion: AtomicU8,
}

/// Whether the handler completed its command in its own transaction
/// (`Context::transaction`), which the executor must then not write again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completion {
    /// No completion was sent: the executor writes the outcome.
    None = 0,
    /// The commit was sent, and no answer came back (the run was dropped or the connection
    /// broke meanwhile): the database alone knows. The executor's fenced write settles it,
    /// since a committed completion has cleared the lease it presents.
    Committing = 1,
    /// The completion committed: the command is completed, with its follow-ups.
    Committed = 2,
}

impl RunControl {
    pub fn new(lease_token: Uuid, valid_until: Instant) -> Self {
        Self {
            lease_token,
            token: CancellationToken::new(),
            reason: OnceLock::new(),
            handler_gone: AtomicBool::new(false),
            awaited: AtomicBool::new(false),
            gone: Notify::new(),
            valid_until: Mutex::new(valid_until),
            completion: AtomicU8::new(Completion::None as u8),
        }
    }

    /// Records how far the handler's own completion got.
    pub fn set_completion(&self, completion: Completion) {
        self.completion.store(completion as u8, Ordering::Release);
    }

    /// How far the handler's own completion got.
    pub fn completion(&self) -> Completion {
        match self.completion.load(Ordering::Acquire) {
            0 => Completion::None,
            1 => Completion::Committing,
            _ => Completion::Committed,
        }
    }

    /// Stops the run; the first reason given wins.
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    /// Marks the handler's future as gone.
    pub fn finish(&self) {
        // SeqCst with `finished`: either this sees the waiter, or the waiter sees the flag.
        if !self.handler_gone.swap(true, Ordering::SeqCst) && self.awaited.load(Ordering::SeqCst) {
            self.gone.notify_waiters();
        }
    }

    /// True once the handler's future is gone.
    pub fn is_finished(&self) -> bool {
        self.handler_gone.load(Ordering::Acquire)
    }

    /// Resolves once the handler's future is gone.
    pub async fn finished(&self) {
        loop {
            // Registered before the check, so a finish between the two is not missed.
            let notified = self.gone.notified();
            self.awaited.store(true, Ordering::SeqCst);
            if self.handler_gone.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    fn extend(&self, until: Instant) {
        let mut at = self.valid_until.lock().unwrap_or_else(|e| e.into_inner());
        *at = (*at).max(until);
    }

    /// Until when the lease surely holds. It only moves later: a wait until a deadline derived
    /// from it checks it again when it wakes.
    pub fn valid_until(&self) -> Instant {
        *self.valid_until.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The runs this process holds, by command id; shared by the client (to cancel) and the worker.
/// At most one run per command: a newer claim of the same command replaces the older run,
/// which is stopped (see `executor`).
#[derive(Default)]
pub(crate) struct Running(Mutex<HashMap<Uuid, Arc<RunControl>>>);

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<RunControl>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a run; returns the run of the same command it replaces, if any.
    pub fn insert(&self, id: Uuid, control: Arc<RunControl>) -> Option<Arc<RunControl>> {
        self.lock().insert(id, control)
    }

    /// Forgets `control`, unless a newer run of the same command replaced it.
    pub fn remove(&self, id: Uuid, control: &Arc<RunControl>) {
        let mut runs = self.lock();
        if runs.get(&id).is_some_and(|c| Arc::ptr_eq(c, control)) {
            runs.remove(&id);
        }
    }

    pub fn get(&self, id: Uuid) -> Option<Arc<RunControl>> {
        self.lock().get(&id).cloned()
    }

    /// How many runs are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn snapshot(&self) -> Vec<(Uuid, Arc<RunControl>)> {
        self.lock().iter().map(|(id, c)| (*id, c.clone())).collect()
    }
}

/// The running worker of one instance.
pub(crate) struct Runtime {
    shared: Arc<Shared>,
    /// Stops claiming (and the listener).
    stop_claiming: CancellationToken,
    /// Stops the lease keeper and the completer, after the last run ended.
    stop_background: CancellationToken,
    /// When the completer stops retrying outcome writes; set at shutdown.
    flush_by: FlushDeadline,
    /// The claim room (`capacity` permits): all of it free again once every claimed command
    /// has ended or been released.
    slots: Arc<Semaphore>,
    capacity: u32,
    claimer: JoinHandle<()>,
    completer: JoinHandle<()>,
    lease_keeper: JoinHandle<()>,
    heartbeat: JoinHandle<()>,
    retention: Option<JoinHandle<()>>,
    /// Flushes the per-minute stats; `None` when they are off.
    stats: Option<JoinHandle<()>>,
    listener: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Starts every part of the worker.
    pub fn start(shared: Arc<Shared>) -> Self {
        let stop_claiming = CancellationToken::new();
        let stop_background = CancellationToken::new();
        let flush_by = FlushDeadline::default();
        let pull = shared.config.max_command_pull;
        let capacity = u32::try_from(pull.saturating_add(pace::ceiling(pull))).unwrap_or(u32::MAX);
        let slots = Arc::new(Semaphore::new(capacity as usize));
        let run_slots = Arc::new(Semaphore::new(pull.min(u32::MAX as usize)));
        let slot_freed = Arc::new(Notify::new());
        let (completer, completer_task) =
            completer::Completer::start(shared.clone(), stop_background.clone(), flush_by.clone());
        let lease_keeper = lease::start(shared.clone(), stop_background.clone());
        let heartbeat = registry::start(shared.clone(), stop_background.clone());
        let retention = (!shared.config.retention.is_off()).then(|| {
            retention::start(
                shared.clone(),
                shared.config.retention.clone(),
                stop_background.clone(),
            )
        });
        let stats = shared
            .config
            .stats
            .is_on()
            .then(|| stats::start(shared.clone(), stop_background.clone()));
        let listener = match &shared.store {
            #[cfg(feature = "postgres")]
            crate::store::Store::Postgres(pg) if pg.listens() => Some(crate::notify::listen(
                pg.clone(),
                shared.clone(),
                stop_claiming.clone(),
            )),
            #[allow(unreachable_patterns)]
            _ => None,
        };
        let claimer = claimer::Claimer {
            shared: shared.clone(),
            slots: slots.clone(),
            run_slots,
            slot_freed,
            completer,
            stop: stop_claiming.clone(),
        }
        .start();
        tracing::info!(
            instance_key = %shared.config.instance_key,
            names = ?shared.names,
            max_command_pull = shared.config.max_command_pull,
            "orchestratum worker started"
        );
        Self {
            shared,
            stop_claiming,
            stop_background,
            flush_by,
            slots,
            capacity,
            claimer,
            completer: completer_task,
            lease_keeper,
            heartbeat,
            retention,
            stats,
            listener,
        }
    }

    /// Stops claiming, lets runs finish within `grace`, then stops the rest: each handler gets
    /// `cancel_grace` to return, then is dropped, and its lease is released so another instance
    /// can take it at once. Outcomes still unwritten are tried until [`SHUTDOWN_FLUSH`] later,
    /// then given up (their leases lapse). So this returns within
    /// `grace + cancel_grace + SHUTDOWN_FLUSH`, whatever the database does.
    pub async fn shutdown(mut self, grace: Duration) -> Result<()> {
        self.stop_claiming.cancel();
        let (slots, capacity) = (self.slots.clone(), self.capacity);
        let claimer = &mut self.claimer;
        let idle = async {
            let _ = claimer.await;
            let _ = slots.acquire_many(capacity).await;
        };
        if tokio::time::timeout(grace, idle).await.is_err() {
            // A claim still in flight is abandoned: rows it may have claimed lapse.
            self.claimer.abort();
            let stopped = self.shared.running.snapshot();
            tracing::info!(
                count = stopped.len(),
                "grace period over: stopping runs and releasing their leases"
            );
            // Set before any run stops: a release written at once must already be bounded by
            // it, or it waits out a whole write timeout on a silent connection.
            let _ = self
                .flush_by
                .set(Instant::now() + self.shared.config.cancel_grace + SHUTDOWN_FLUSH);
            for (_, control) in stopped {
                control.stop(StopReason::Shutdown);
            }
            let _ = self.slots.acquire_many(self.capacity).await;
        }
        self.stop_background.cancel();
        // A renewal or heartbeat in flight has nothing left to keep.
        self.lease_keeper.abort();
        self.heartbeat.abort();
        let _ = self.lease_keeper.await;
        let _ = self.heartbeat.await;
        if let Some(retention) = self.retention {
            // A delete in flight is safe to drop: the statement commits whole or not at all.
            retention.abort();
            let _ = retention.await;
        }
        let _ = self.completer.await;
        if let Some(listener) = self.listener {
            let _ = listener.await;
        }
        if let Some(mut task) = self.stats {
            // Within the outcomes' flush deadline when the grace ran out (the database may be
            // down), else within `SHUTDOWN_FLUSH`: the periodic flush in flight first, then
            // the last one. Every outcome is written by now (the runs ended, the completer
            // stopped), so the last flush holds every count.
            let budget = self.flush_by.get().map_or(SHUTDOWN_FLUSH, |by| {
                by.saturating_duration_since(Instant::now())
            });
            let deadline = Instant::now() + budget;
            if tokio::time::timeout_at(deadline.into(), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(
                    pending = self.shared.stats.pending(),
                    "no time left to flush the outcome counts at shutdown; they are lost"
                );
            } else {
                stats::flush(&self.shared, left).await;
            }
            self.shared.stats.set_periodic(false);
        }
        registry::deregister(&self.shared).await;
        tracing::info!("orchestratum worker stopped");
        Ok(())
    }

    /// Stops everything without waiting (used when the handle is dropped): runs are stopped
    /// and, while a Tokio runtime is still there, their leases released before the completer
    /// and the lease keeper stop.
    pub fn abort(&self) {
        self.stop_claiming.cancel();
        let _ = self.flush_by.set(Instant::now() + ABORT_FLUSH);
        for (_, control) in self.shared.running.snapshot() {
            control.stop(StopReason::Shutdown);
        }
        let (slots, capacity, stop, shared) = (
            self.slots.clone(),
            self.capacity,
            self.stop_background.clone(),
            self.shared.clone(),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    let _ = tokio::time::timeout(ABORT_FLUSH, slots.acquire_many(capacity)).await;
                    stop.cancel();
                    if shared.config.stats.is_on() {
                        stats::flush(&shared, ABORT_FLUSH).await;
                        shared.stats.set_periodic(false);
                    }
                    registry::deregister(&shared).await;
                });
            }
            Err(_) => stop.cancel(),
        }
    }
}
