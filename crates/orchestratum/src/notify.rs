//! Cross-process wake-ups on PostgreSQL: every push sends `NOTIFY` on the table's channel with
//! the target as payload (a cancel request sends `cancel:<target>`, a resume `resume:<name>`);
//! this listener wakes the local claimer, or the lease keeper for a cancel, when the target is
//! ours (for a resume, when we handle the name).
//! In-process pushes wake the claimer directly (`Shared::wake`); polling is the fallback.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::Shared;
use crate::store::postgres::PostgresStore;

const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Payload prefix of the notification a cancel request sends (see `request_cancel.sql`).
const CANCEL_PREFIX: &str = "cancel:";
/// Payload prefix of the notification a resume sends, with the name (see `control_resume.sql`).
const RESUME_PREFIX: &str = "resume:";

pub(crate) fn listen(
    store: PostgresStore,
    shared: Arc<Shared>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        while !stop.is_cancelled() {
            let mut listener = match store.listen().await {
                Ok(Some(listener)) => listener,
                // Nothing carries LISTEN (a transaction-mode pooler without a direct URL): the
                // runtime does not start this task then; were it started, it has nothing to do.
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?backoff, "cannot LISTEN for wake-ups; polling meanwhile");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = stop.cancelled() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            // Notifications sent while we were not listening are lost: look once now.
            shared.wake.notify_one();
            loop {
                let received = tokio::select! {
                    r = listener.try_recv() => r,
                    () = stop.cancelled() => return,
                };
                match received {
                    Ok(Some(n)) => match n.payload().strip_prefix(CANCEL_PREFIX) {
                        None if n.payload() == shared.config.instance_key => {
                            shared.wake.notify_one()
                        }
                        // A cancel: renew leases now (the renewal reports cancel requests) and
                        // claim, which finishes a requested cancel of a command nobody runs.
                        Some(target) if target == shared.config.instance_key => {
                            shared.renew_now.notify_one();
                            shared.wake.notify_one();
                        }
                        // A resume concerns every target: wake if we handle the name.
                        None if n
                            .payload()
                            .strip_prefix(RESUME_PREFIX)
                            .is_some_and(|name| shared.names.iter().any(|h| h == name)) =>
                        {
                            shared.wake.notify_one()
                        }
                        _ => {}
                    },
                    Ok(None) => {
                        tracing::warn!("wake-up connection lost; reconnecting");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "wake-up listener failed; reconnecting");
                        break;
                    }
                }
            }
        }
    })
}
