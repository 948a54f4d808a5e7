//! A PgBouncer of the test's own, in transaction mode, in front of the test PostgreSQL: the
//! Debian package's binary (`pgbouncer`, which `.ci/run` installs), configured in a temporary
//! directory, listening on a free loopback port, trusting every user, stopped when dropped.
//!
//! `ORCH_TEST_PGBOUNCER` names another binary. A missing binary fails the test (it is never
//! skipped), with the package to install.

use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;

/// How long PgBouncer gets to accept connections after it is spawned.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// What to start.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Server connections per database and user: small, so clients share them.
    pub pool_size: u32,
    /// Startup parameters PgBouncer ignores instead of refusing the connection. The library
    /// needs none; sqlx pools the tests build themselves send `extra_float_digits`.
    pub lenient: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pool_size: 4,
            lenient: true,
        }
    }
}

/// A running PgBouncer; killed when dropped.
pub struct PgBouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PgBouncer {
    /// Starts one in front of the server `direct_url` names (its host and port).
    pub fn start(direct_url: &str, settings: Settings) -> Self {
        let options: PgConnectOptions = direct_url.parse().expect("direct PostgreSQL URL");
        let mut last = String::new();
        // A free port can be taken between our probe and PgBouncer's bind: try another.
        for _ in 0..3 {
            match Self::try_start(&options, settings) {
                Ok(bouncer) => return bouncer,
                Err(why) => last = why,
            }
        }
        panic!("PgBouncer did not start: {last}");
    }

    fn try_start(server: &PgConnectOptions, settings: Settings) -> Result<Self, String> {
        let binary = std::env::var("ORCH_TEST_PGBOUNCER").unwrap_or_else(|_| {
            ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
                .into_iter()
                .find(|p| Path::new(p).exists())
                .unwrap_or("pgbouncer")
                .into()
        });
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let ini = dir.path().join("pgbouncer.ini");
        let users = dir.path().join("users.txt");
        let ignore = if settings.lenient {
            "ignore_startup_parameters = extra_float_digits\n"
        } else {
            ""
        };
        let config = format!(
            "[databases]\n\
             * = host={host} port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {users}\n\
             pool_mode = transaction\n\
             default_pool_size = {pool_size}\n\
             max_client_conn = 2000\n\
             log_connections = 0\n\
             log_disconnections = 0\n\
             log_stats = 0\n\
             {ignore}",
            host = server.get_host(),
            server_port = server.get_port(),
            users = users.display(),
            pool_size = settings.pool_size,
        );
        std::fs::write(&ini, config).map_err(|e| format!("write {}: {e}", ini.display()))?;
        let user = server.get_username();
        std::fs::write(&users, format!("\"{user}\" \"\"\n")).map_err(|e| e.to_string())?;
        let mut command = Command::new(&binary);
        // PgBouncer refuses to run as root: it then runs as the server's system user.
        if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            let readable = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(dir.path(), readable).map_err(|e| e.to_string())?;
            command.args(["-u", system_user()]);
        }
        let child = command
            .arg(&ini)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!("cannot run {binary} ({e}): install the Debian package `pgbouncer`")
            })?;
        let mut bouncer = Self {
            child,
            port,
            _dir: dir,
        };
        let started = Instant::now();
        while started.elapsed() < START_DEADLINE {
            if let Ok(Some(status)) = bouncer.child.try_wait() {
                return Err(format!("{binary} exited at once: {status}"));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(bouncer);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "{binary} did not listen on {port} within {START_DEADLINE:?}"
        ))
    }

    /// `direct_url` with its host and port replaced by this PgBouncer's.
    pub fn url_for(&self, direct_url: &str) -> String {
        let (scheme, rest) = direct_url.split_once("://").expect("URL with a scheme");
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
        format!(
            "{scheme}://{}127.0.0.1:{}{path}",
            user.unwrap_or_default(),
            self.port
        )
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A system user PgBouncer can switch to when started as root.
fn system_user() -> &'static str {
    let exists = |name: &str| {
        std::fs::read_to_string("/etc/passwd")
            .is_ok_and(|p| p.lines().any(|l| l.split(':').next() == Some(name)))
    };
    ["postgres", "nobody"]
        .into_iter()
        .find(|u| exists(u))
        .unwrap_or("nobody")
}
