//! Worker processes (the `worker` example) that a test starts, signals, and always ends: the
//! guard kills and reaps its process when dropped, also when the test fails.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Settings of one worker process.
#[derive(Clone)]
pub struct WorkerConfig {
    /// Orchestratum's database, possibly through a relay.
    pub url: String,
    /// The side-effects table's database: always the server itself, so the test sees what a
    /// partitioned worker's handlers do.
    pub effects_url: String,
    pub prefix: String,
    pub key: String,
    pub concurrency: usize,
    pub lease_ms: u64,
    pub poll_ms: u64,
    pub grace_ms: u64,
}

impl WorkerConfig {
    pub fn new(url: &str, prefix: &str, key: &str) -> Self {
        Self {
            url: url.into(),
            effects_url: url.into(),
            prefix: prefix.into(),
            key: key.into(),
            concurrency: 20,
            lease_ms: 10_000,
            poll_ms: 60_000,
            grace_ms: 5_000,
        }
    }
}

/// A running worker process.
pub struct Worker {
    child: Child,
    pub pid: u32,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/examples/worker
    let path = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("examples")
        .join("worker");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build --example worker` (cargo test builds it)",
        path.display()
    );
    path
}

impl Worker {
    /// Starts a worker and waits until it reports ready.
    pub async fn start(config: &WorkerConfig) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("stderr.log");
        let mut child = Command::new(worker_binary())
            .env("DATABASE_URL", &config.url)
            .env("ORCH_EFFECTS_URL", &config.effects_url)
            .env("ORCH_TABLE_PREFIX", &config.prefix)
            .env("ORCH_INSTANCE_KEY", &config.key)
            .env("ORCH_CONCURRENCY", config.concurrency.to_string())
            .env("ORCH_LEASE_MS", config.lease_ms.to_string())
            .env("ORCH_POLL_MS", config.poll_ms.to_string())
            .env("ORCH_GRACE_MS", config.grace_ms.to_string())
            .env("RUST_LOG", "orchestratum=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn worker");
        let pid = child.id().expect("pid");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with("worker ready") {
                    return true;
                }
            }
            false
        })
        .await;
        if ready != Ok(true) {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("worker {pid} did not become ready: {log}");
        }
        // Keep draining stdout so the worker never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            pid,
            log,
            _dir: dir,
        }
    }

    /// Sends a signal by name (`KILL`, `STOP`, `CONT`, `TERM`).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args(["-s", name, &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {name} {} failed", self.pid);
    }

    /// SIGKILL, then reap.
    pub async fn kill(mut self) {
        self.signal("KILL");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, and the exit status once it drained.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("worker did not stop within 30 s of SIGTERM")
            .expect("wait for worker")
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the worker logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // A stopped process ignores SIGKILL until continued on some systems: continue it first.
        let _ = std::process::Command::new("kill")
            .args(["-s", "CONT", &self.pid.to_string()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.start_kill();
        let _ = self.child.try_wait();
    }
}
