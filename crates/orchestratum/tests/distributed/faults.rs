//! The faults the chaos run inflicts on its worker processes, one worker at a time: SIGKILL
//! (restarted at once), a frozen database connection (its relay holds every byte) and SIGSTOP,
//! the last two held for longer than the lease and then healed (thaw, SIGCONT).

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::process::{Worker, WorkerConfig};
use super::support::relay::Relay;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    Kill,
    Freeze,
    Pause,
}

impl Fault {
    pub const ALL: [Self; 3] = [Self::Kill, Self::Freeze, Self::Pause];
}

/// One worker process whose database connection goes through a relay of its own; a killed
/// worker is restarted behind the same relay.
pub struct Slot {
    worker: Option<Worker>,
    relay: Relay,
    config: WorkerConfig,
    /// The freeze or pause in progress, and when it is healed.
    healing: Option<(Fault, Instant)>,
}

impl Slot {
    /// Starts a worker of `config` whose Orchestratum connection goes through a new relay (its
    /// side effects still go straight to the server).
    pub async fn start(config: &WorkerConfig) -> Self {
        let relay = Relay::to_database(&config.url).await;
        let config = WorkerConfig {
            url: relay.url_for(&config.url),
            ..config.clone()
        };
        Self {
            worker: Some(Worker::start(&config).await),
            relay,
            config,
            healing: None,
        }
    }

    /// Neither frozen nor paused.
    pub fn is_healthy(&self) -> bool {
        self.healing.is_none()
    }

    /// Inflicts `fault`; a freeze or pause lasts `hold`.
    pub async fn inflict(&mut self, fault: Fault, hold: Duration) {
        match fault {
            Fault::Kill => {
                if let Some(dead) = self.worker.take() {
                    dead.kill().await;
                }
                self.worker = Some(Worker::start(&self.config).await);
            }
            Fault::Freeze => {
                self.relay.freeze();
                self.healing = Some((fault, Instant::now() + hold));
            }
            Fault::Pause => {
                self.worker().signal("STOP");
                self.healing = Some((fault, Instant::now() + hold));
            }
        }
    }

    /// Heals the fault in progress once its time is up.
    pub fn heal_if_due(&mut self) {
        if self.healing.is_some_and(|(_, at)| Instant::now() >= at) {
            self.heal();
        }
    }

    pub fn heal(&mut self) {
        match self.healing.take() {
            Some((Fault::Freeze, _)) => self.relay.thaw(),
            Some((Fault::Pause, _)) => self.worker().signal("CONT"),
            Some((Fault::Kill, _)) | None => {}
        }
    }

    /// Heals, then SIGTERM and the exit status once it drained.
    pub async fn terminate(mut self) -> ExitStatus {
        self.heal();
        self.worker
            .take()
            .expect("a worker runs in every slot")
            .terminate()
            .await
    }

    fn worker(&self) -> &Worker {
        self.worker.as_ref().expect("a worker runs in every slot")
    }
}
