//! Pausing and concurrency limits by command name. A pause lives in the database
//! (`{prefix}controls`) and holds for every instance; limits are configured in code, per
//! instance, with [`crate::Builder::local_limit`] and [`crate::Builder::fleet_limit`].

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};
pub use crate::store::{CONTROL_NAME_MAX, Control};

/// The concurrency limits of one command name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConcurrencyLimit {
    /// At most this many in flight in this instance (beside `max_command_pull`).
    pub local: Option<usize>,
    /// At most this many running anywhere at once (live leases), held by the claim.
    pub fleet: Option<u32>,
}

/// Checks the configured limits.
pub(crate) fn validate(limits: &BTreeMap<String, ConcurrencyLimit>) -> Result<()> {
    for (name, limit) in limits {
        crate::store::check_name(name)?;
        if limit.local == Some(0) {
            return Err(Error::InvalidConfig {
                option: "local_limit",
                reason: format!("must be at least 1 (for {name:?})"),
            });
        }
        if limit.fleet == Some(0) || limit.fleet.is_some_and(|f| f > i32::MAX as u32) {
            return Err(Error::InvalidConfig {
                option: "fleet_limit",
                reason: format!("must be from 1 to {} (for {name:?})", i32::MAX),
            });
        }
    }
    Ok(())
}

/// A handled name with a limit: claimed on its own, up to its room.
pub(crate) struct Capped {
    /// The name, as the one-element list a claim takes.
    pub names: Vec<String>,
    /// Slots of this name in this instance.
    pub local: Option<Arc<Semaphore>>,
    pub fleet: Option<u32>,
}

/// How this instance's claimer splits its names.
#[derive(Default)]
pub(crate) struct Flow {
    /// Handled names with a limit.
    pub capped: Vec<Capped>,
    /// The other handled names, claimed together in one statement as without limits.
    pub uncapped: Vec<String>,
}

impl Flow {
    pub fn new(handled: &[String], limits: &BTreeMap<String, ConcurrencyLimit>) -> Self {
        let mut flow = Flow::default();
        for name in handled {
            match limits.get(name) {
                Some(l) if l.local.is_some() || l.fleet.is_some() => flow.capped.push(Capped {
                    names: vec![name.clone()],
                    local: l.local.map(|n| Arc::new(Semaphore::new(n))),
                    fleet: l.fleet,
                }),
                _ => flow.uncapped.push(name.clone()),
            }
        }
        flow
    }
}
