//! When each run of the `hold` handler started, saw its token fire, and had its future dropped,
//! by the test process's clock: the partition cases compare these instants with the lease.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::eventually;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Started,
    TokenFired,
    /// The handler's future is gone: it returned, or the runtime dropped it.
    Dropped,
}

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub worker: &'static str,
    pub attempt: u32,
    pub event: Event,
    pub at: Instant,
}

#[derive(Default)]
pub struct Timeline(Mutex<Vec<Entry>>);

impl Timeline {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn record(&self, worker: &'static str, attempt: u32, event: Event) {
        self.0.lock().unwrap().push(Entry {
            worker,
            attempt,
            event,
            at: Instant::now(),
        });
    }

    /// Records a start, and returns the guard that records the end of the future's life.
    pub fn started(self: &Arc<Self>, worker: &'static str, attempt: u32) -> Alive {
        self.record(worker, attempt, Event::Started);
        Alive {
            timeline: self.clone(),
            worker,
            attempt,
        }
    }

    /// The first time `worker` recorded `event`.
    pub fn first(&self, worker: &str, event: Event) -> Option<Instant> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.worker == worker && e.event == event)
            .map(|e| e.at)
    }

    /// How many times `event` was recorded, by any worker.
    pub fn count(&self, event: Event) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.event == event)
            .count()
    }

    /// Waits until `worker` recorded `event`, and returns when it did.
    pub async fn wait(&self, worker: &str, event: Event, deadline: Duration) -> Instant {
        eventually(&format!("{worker}: {event:?}"), deadline, || async {
            self.first(worker, event)
        })
        .await
    }

    /// Every entry, as offsets from `origin`, for the test's output.
    pub fn describe(&self, origin: Instant) -> String {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| {
                let offset = e.at.saturating_duration_since(origin);
                format!(
                    "{} attempt {} {:?} at +{offset:?}",
                    e.worker, e.attempt, e.event
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Lives exactly as long as the handler's future: its drop is the moment the run ended,
/// whether the handler returned or the runtime dropped it.
pub struct Alive {
    timeline: Arc<Timeline>,
    worker: &'static str,
    attempt: u32,
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.timeline
            .record(self.worker, self.attempt, Event::Dropped);
    }
}
