//! The worker registry: each running instance's row in `{prefix}workers` (`WorkerInfo`),
//! refreshed with its lease renewals and removed at shutdown, and the commands no live worker
//! can run (`Unhandled`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// One registered worker, as `Client::workers` and `orchestratum workers` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerInfo {
    /// Its id: the `worker.id` of its runs' spans and the worker recorded on their attempts.
    pub worker_id: Uuid,
    /// The instance key it claims for.
    pub instance_key: String,
    /// The host it runs on.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// The Orchestratum version it runs.
    pub version: String,
    /// The command names it has handlers for.
    pub names: Vec<String>,
    /// Most commands it runs at once.
    pub max_command_pull: i64,
    /// Its lease (`lock_timeout_buffer`).
    #[serde(serialize_with = "seconds")]
    pub lease: Duration,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat (sent at the rhythm of its lease renewals, every third of its lease).
    pub heartbeat_at: DateTime<Utc>,
    /// Runs it held at its last heartbeat.
    pub in_flight: i64,
    /// False once its heartbeat is older than three leases: it is gone, and any worker's next
    /// heartbeat removes its row.
    pub alive: bool,
}

/// Commands that wait with no live worker to run them: their target has no live worker with a
/// handler for their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unhandled {
    /// The instance key they are routed to.
    pub target: String,
    /// Their stored name.
    pub name: String,
    /// How many wait.
    pub waiting: i64,
    /// When the longest-waiting one became due.
    pub oldest_due: DateTime<Utc>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What a worker writes about itself at each heartbeat (part of the store seam, no semver
/// promise).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct WorkerBeat {
    /// Its id.
    pub worker_id: Uuid,
    /// Its instance key.
    pub instance_key: String,
    /// Its host name.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// The library's version.
    pub version: &'static str,
    /// Its handled names, as a JSON array.
    pub names: String,
    /// Its `max_command_pull`.
    pub max_command_pull: i64,
    /// Its lease in milliseconds.
    pub lease_ms: i64,
    /// Runs it holds now.
    pub in_flight: i64,
}

impl WorkerBeat {
    /// The beat of this process's worker with `id`, holding `in_flight` runs.
    pub(crate) fn new(
        id: Uuid,
        config: &crate::Config,
        names: &[String],
        in_flight: usize,
    ) -> Self {
        Self {
            worker_id: id,
            instance_key: config.instance_key.clone(),
            host: host_name(),
            pid: i64::from(std::process::id()),
            version: env!("CARGO_PKG_VERSION"),
            names: serde_json::to_string(names).unwrap_or_else(|_| "[]".into()),
            max_command_pull: i64::try_from(config.max_command_pull).unwrap_or(i64::MAX),
            lease_ms: i64::try_from(config.lock_timeout_buffer.as_millis()).unwrap_or(i64::MAX),
            in_flight: i64::try_from(in_flight).unwrap_or(i64::MAX),
        }
    }
}

/// This machine's name: the kernel's on Linux, else the usual environment variables.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// A worker row as every backend reads it (names still JSON).
#[allow(clippy::too_many_arguments)]
pub(crate) fn info(
    worker_id: Uuid,
    instance_key: String,
    host: String,
    pid: i64,
    version: String,
    names: &str,
    max_command_pull: i64,
    lease_ms: i64,
    started_at: DateTime<Utc>,
    heartbeat_at: DateTime<Utc>,
    in_flight: i64,
    alive: bool,
) -> crate::Result<WorkerInfo> {
    let names = serde_json::from_str(names).map_err(|e| crate::Error::Corrupt {
        column: "names",
        reason: e.to_string(),
    })?;
    Ok(WorkerInfo {
        worker_id,
        instance_key,
        host,
        pid,
        version,
        names,
        max_command_pull,
        lease: Duration::from_millis(u64::try_from(lease_ms).unwrap_or(0)),
        started_at,
        heartbeat_at,
        in_flight,
        alive,
    })
}
