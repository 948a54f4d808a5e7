//! The lease contract the cases check, and the in-process workers they start.
//!
//! With lease L (`lock_timeout_buffer`), a run whose lease was not renewed has its future
//! dropped by `valid_until − L/4`, `valid_until` being the claim's send time + L: at most 3L/4
//! after its handler started. Its token fires one cancel grace earlier.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::Orchestratum;

use crate::hold::HoldHandler;
use crate::support::TestDb;
use crate::timeline::Timeline;

/// L: short, so a lapse takes two seconds.
pub const LEASE: Duration = Duration::from_secs(2);
/// Short, so the worker that takes over claims soon after the lapse.
pub const POLL: Duration = Duration::from_millis(100);
/// The runtime's default cancel grace, min(1 s, L/8).
pub const CANCEL_GRACE: Duration = Duration::from_millis(250);
/// Scheduling slack on a loaded two-core machine: timers, task wake-ups and the 10 ms polls
/// of the test's own waits.
pub const TOLERANCE: Duration = Duration::from_millis(150);
/// The handler's own timeout: far past the lease, so only the lease deadline can stop a run
/// in time, yet it bounds how long a run the runtime fails to stop lives (the figures the
/// cases report against a runtime without the deadline).
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(5);

/// Latest moment, after a handler started, by which a run whose lease was not renewed is gone.
pub fn drop_deadline() -> Duration {
    LEASE * 3 / 4
}

/// Latest moment by which its token fired: one cancel grace before the drop.
pub fn token_deadline() -> Duration {
    drop_deadline() - CANCEL_GRACE
}

/// A worker on `url` (the relay's, or the server's own) with the test's key, lease and handler.
pub async fn start(
    db: &TestDb,
    url: &str,
    worker: &'static str,
    timeline: &Arc<Timeline>,
) -> Orchestratum {
    db.builder()
        .database(url)
        .lock_timeout_buffer(LEASE)
        .polling_interval(POLL)
        .handler(HoldHandler {
            worker,
            timeline: timeline.clone(),
        })
        .start()
        .await
        .expect("start worker")
}

/// `shutdown`, bounded so a runtime that hangs fails the case instead of the whole run.
pub async fn stop(worker: Orchestratum, grace: Duration) {
    let bound = grace + Duration::from_secs(20);
    tokio::time::timeout(bound, worker.shutdown(grace))
        .await
        .unwrap_or_else(|_| panic!("shutdown({grace:?}) did not return within {bound:?}"))
        .expect("shutdown");
}
