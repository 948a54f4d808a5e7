//! Flow control by command name: pausing (the claim statements skip paused names) and
//! concurrency limits (a capped name is claimed on its own, up to its room; a fleet-limited one
//! under a lock on its `{prefix}controls` row). See decision 0012.

use chrono::{DateTime, Utc};

use super::rows::Columns;
use super::{ClaimParams, ClaimedCommand, Store};
use crate::error::{Error, Result};

/// Longest command name a control row holds (the MySQL key is a `varchar(255)`).
pub const CONTROL_NAME_MAX: usize = 255;

/// The flow-control row of one command name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Control {
    /// Stored command name.
    pub name: String,
    /// No worker claims commands of this name while set.
    pub paused: bool,
    /// When it was paused, if it is.
    pub paused_at: Option<DateTime<Utc>>,
    /// The fleet-wide limit the last instance started with one recorded.
    pub fleet_limit: Option<u32>,
    /// Last change, by the database's clock.
    pub updated_at: DateTime<Utc>,
}

/// What a claim of one capped name took.
#[derive(Debug, Default)]
pub struct CappedClaim {
    /// The commands claimed.
    pub commands: Vec<ClaimedCommand>,
    /// For a fleet-limited name: how many more could run anywhere when the claim counted.
    pub fleet_room: Option<usize>,
}

/// Checks a name given to pause, resume or a limit.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > CONTROL_NAME_MAX {
        return Err(Error::InvalidConfig {
            option: "command name",
            reason: format!(
                "must be 1 to {CONTROL_NAME_MAX} characters, got {} ({name:?})",
                name.chars().count()
            ),
        });
    }
    Ok(())
}

/// A control row (`control_*.sql`, `controls.sql`), on every backend.
pub(crate) fn control(r: &impl Columns) -> Result<Control> {
    Ok(Control {
        name: r.text("name")?,
        paused: r.flag("paused")?,
        paused_at: r.opt_time("paused_at")?,
        fleet_limit: r
            .opt_int("fleet_limit")?
            .and_then(|l| u32::try_from(l).ok()),
        updated_at: r.time("updated_at")?,
    })
}

impl Store {
    /// Pauses `name` for every instance; creates its row if needed.
    pub async fn pause(&self, name: &str) -> Result<Control> {
        check_name(name)?;
        dispatch!(self, s => s.pause(name).await)
    }

    /// Resumes `name` (on PostgreSQL also wakes the instances that handle it).
    pub async fn resume(&self, name: &str) -> Result<Control> {
        check_name(name)?;
        dispatch!(self, s => s.resume(name).await)
    }

    /// Every control row, by name.
    pub async fn controls(&self) -> Result<Vec<Control>> {
        dispatch!(self, s => s.controls().await)
    }

    /// Records the fleet limit an instance starts with, for operators.
    pub async fn record_fleet_limit(&self, name: &str, limit: u32) -> Result<()> {
        dispatch!(self, s => s.record_fleet_limit(name, limit).await)
    }

    /// Claims up to `params.limit` commands of the one name in `params.names`; with
    /// `fleet_limit`, only as many as leaves at most that many running anywhere.
    pub async fn claim_capped(
        &self,
        params: ClaimParams<'_>,
        fleet_limit: Option<u32>,
    ) -> Result<CappedClaim> {
        if params.limit == 0 {
            return Ok(CappedClaim::default());
        }
        dispatch!(self, s => s.claim_capped(params, fleet_limit).await)
    }
}

/// How many of a fleet-limited name one claim may take.
pub(crate) fn room(limit: u32, running: i64) -> usize {
    usize::try_from((i64::from(limit) - running).max(0)).unwrap_or(0)
}
