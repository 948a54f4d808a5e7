//! Network faults between a worker and its database, injected by a TCP relay
//! (`support/relay.rs`) in this process: a connection that goes silent (frozen), connections
//! reset under a running handler, and a shutdown while the connection is silent.
//!
//! The frozen cases check the lease contract: a run whose lease was not renewed is dropped by
//! 3L/4 after its claim, by the worker's clock, whatever the database does, so the worker that
//! takes the command over after the lapse never overlaps it.

#[path = "support/mod.rs"]
mod support;

#[path = "partitions/cases.rs"]
mod cases;
#[path = "partitions/hold.rs"]
mod hold;
#[path = "partitions/lease.rs"]
mod lease;
#[path = "partitions/relay_checks.rs"]
mod relay_checks;
#[path = "partitions/timeline.rs"]
mod timeline;

/// The cases time a lease on a two-core machine: one at a time, so they do not compete.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Expands each case into one `#[tokio::test]` per server backend (SQLite has no connection
/// to cut).
macro_rules! partitions {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let _serial = crate::SERIAL.lock().await;
                    crate::support::run(crate::support::Backend::Postgres, crate::cases::$case).await;
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let _serial = crate::SERIAL.lock().await;
                    crate::support::run(crate::support::Backend::Mysql, crate::cases::$case).await;
                }
            )*
        }
    };
}

partitions!(
    frozen_connection_stops_the_run,
    frozen_connection_drops_a_handler_that_ignores_its_token,
    reset_connections_recover,
    shutdown_with_a_frozen_connection_returns,
    scheduler_goes_on_after_a_frozen_connection,
    interrupted_calls_leave_no_transaction_open,
);
