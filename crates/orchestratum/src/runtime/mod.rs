//! The worker runtime: a claimer that claims, executors that run handlers under timeout and
//! lease, a lease keeper that renews, and a completer that writes outcomes in batches.
//! `Runtime` owns their tasks and stops them in order.

mod claimer;
mod completer;
mod executor;
mod lease;
pub(crate) mod outcome;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::client::Shared;
use crate::error::Result;

/// How long a dropped worker waits for its stopped runs to release their leases.
const ABORT_FLUSH: Duration = Duration::from_secs(5);

/// Why a run is being stopped before its handler returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    CancelRequested,
    LeaseLost,
    Shutdown,
}

/// One in-flight run in this process: its lease and the switch that stops it.
pub(crate) struct RunControl {
    pub lease_token: Uuid,
    /// The handler's `Context` token; fires on stop and on timeout.
    pub token: CancellationToken,
    reason: OnceLock<StopReason>,
    /// The handler has returned (or was dropped); only the outcome write is left.
    finished: AtomicBool,
    /// Until when the lease surely holds, by this process's clock (set before each renewal).
    valid_until: Mutex<Instant>,
}

impl RunControl {
    pub fn new(lease_token: Uuid, valid_until: Instant) -> Self {
        Self {
            lease_token,
            token: CancellationToken::new(),
            reason: OnceLock::new(),
            finished: AtomicBool::new(false),
            valid_until: Mutex::new(valid_until),
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

    /// Marks the handler as done.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }

    /// True once the handler is done.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    fn extend(&self, until: Instant) {
        *self.valid_until.lock().unwrap_or_else(|e| e.into_inner()) = until;
    }

    fn valid_until(&self) -> Instant {
        *self.valid_until.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The runs this process holds, by command id; shared by the client (to cancel) and the worker.
#[derive(Default)]
pub(crate) struct Running(Mutex<HashMap<Uuid, Arc<RunControl>>>);

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<RunControl>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, id: Uuid, control: Arc<RunControl>) {
        self.lock().insert(id, control);
    }

    pub fn remove(&self, id: Uuid) {
        self.lock().remove(&id);
    }

    pub fn get(&self, id: Uuid) -> Option<Arc<RunControl>> {
        self.lock().get(&id).cloned()
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
    slots: Arc<Semaphore>,
    capacity: u32,
    claimer: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// Starts every part of the worker.
    pub fn start(shared: Arc<Shared>) -> Self {
        let stop_claiming = CancellationToken::new();
        let stop_background = CancellationToken::new();
        let capacity = u32::try_from(shared.config.max_command_pull).unwrap_or(u32::MAX);
        let slots = Arc::new(Semaphore::new(capacity as usize));
        let slot_freed = Arc::new(Notify::new());
        let (completer, completer_task) =
            completer::Completer::start(shared.clone(), stop_background.clone());
        // Only PostgreSQL adds a task (its listener).
        #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
        let mut background = vec![
            completer_task,
            lease::start(shared.clone(), stop_background.clone()),
        ];
        #[cfg(feature = "postgres")]
        if let crate::store::Store::Postgres(pg) = &shared.store {
            background.push(crate::notify::listen(
                pg.clone(),
                shared.clone(),
                stop_claiming.clone(),
            ));
        }
        let claimer = claimer::Claimer {
            shared: shared.clone(),
            slots: slots.clone(),
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
            slots,
            capacity,
            claimer,
            background,
        }
    }

    /// Stops claiming, lets runs finish within `grace`, stops the rest (their leases are
    /// released so another instance can take them at once), then flushes outcomes.
    pub async fn shutdown(self, grace: Duration) -> Result<()> {
        self.stop_claiming.cancel();
        let _ = self.claimer.await;
        let all_idle = self.slots.acquire_many(self.capacity);
        tokio::pin!(all_idle);
        if tokio::time::timeout(grace, &mut all_idle).await.is_err() {
            let stopped = self.shared.running.snapshot();
            tracing::info!(
                count = stopped.len(),
                "grace period over: stopping runs and releasing their leases"
            );
            for (_, control) in stopped {
                control.stop(StopReason::Shutdown);
            }
            let _ = all_idle.await;
        }
        self.stop_background.cancel();
        for task in self.background {
            let _ = task.await;
        }
        tracing::info!("orchestratum worker stopped");
        Ok(())
    }

    /// Stops everything without waiting (used when the handle is dropped): runs are stopped
    /// and, while a Tokio runtime is still there, their leases released before the completer
    /// and the lease keeper stop.
    pub fn abort(&self) {
        self.stop_claiming.cancel();
        for (_, control) in self.shared.running.snapshot() {
            control.stop(StopReason::Shutdown);
        }
        let (slots, capacity, stop) = (
            self.slots.clone(),
            self.capacity,
            self.stop_background.clone(),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    let _ = tokio::time::timeout(ABORT_FLUSH, slots.acquire_many(capacity)).await;
                    stop.cancel();
                });
            }
            Err(_) => stop.cancel(),
        }
    }
}
