//! Conformance cases, by area. Each is `async fn(TestDb)`.

mod admin;
mod attempts;
mod control;
mod failure_handling;
mod failures;
mod flow_control;
mod foreign_rows;
mod hooks;
mod leases;
mod migrations;
mod push;
mod reference;
mod reliability;
mod retention;
mod routing;
mod schedules;
mod search;
mod stats;
mod transactions;
mod unique_and_priority;
mod workers;
mod workflows;

pub use admin::*;
pub use attempts::*;
pub use control::*;
pub use failure_handling::*;
pub use failures::*;
pub use flow_control::*;
pub use foreign_rows::*;
pub use hooks::*;
pub use leases::*;
pub use migrations::*;
pub use push::*;
pub use reference::*;
pub use reliability::*;
pub use retention::*;
pub use routing::*;
pub use schedules::*;
pub use search::*;
pub use stats::*;
pub use transactions::*;
pub use unique_and_priority::*;
pub use workers::*;
pub use workflows::*;

use std::sync::Arc;

use orchestratum::{Builder, Orchestratum};

use crate::support::commands::*;
use crate::support::{Probe, TestDb};

/// A builder with every shared handler registered.
pub fn with_all_handlers(db: &TestDb, probe: &Arc<Probe>) -> Builder {
    let p = || probe.clone();
    db.builder().handlers((
        (
            SimpleHandler(p()),
            ProcessOrderHandler(p()),
            MailHandler(p()),
            AdminHandler(p()),
        ),
        (
            SleepHandler(p()),
            AlwaysFailsHandler(p()),
            PanicsHandler(p()),
            SelfCancelHandler(p()),
        ),
        (
            RenamedHandler(p()),
            PanickyHookHandler(p()),
            EchoHandler(p()),
            WatchTokenHandler(p()),
        ),
    ))
}

/// A started worker with every shared handler.
pub async fn worker(db: &TestDb, probe: &Arc<Probe>) -> Orchestratum {
    with_all_handlers(db, probe)
        .start()
        .await
        .expect("start worker")
}
