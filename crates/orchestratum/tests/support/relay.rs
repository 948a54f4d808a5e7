//! A TCP relay between a worker and its database server, to inject network faults from a test:
//! pass bytes through, freeze every connection (silence, like a partition: nothing is closed),
//! reset every connection (like a crashed middlebox), or add latency.
//!
//! Worker processes and in-process workers both reach the database through
//! [`Relay::url_for`]; the test flips the relay's mode for all its connections at once.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// What the relay does with the bytes of its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    /// Neither read nor write, in either direction; connections stay open.
    Freeze,
    /// Each chunk is held this long before it is forwarded.
    Delay(Duration),
}

#[derive(Debug, Clone, Copy)]
struct State {
    mode: Mode,
    /// Bumped by every reset: a connection accepted before the bump is reset.
    resets: u64,
}

/// A running relay; it stops, closing its connections, when dropped.
pub struct Relay {
    addr: SocketAddr,
    state: watch::Sender<State>,
    accepter: JoinHandle<()>,
}

impl Relay {
    /// A relay on `127.0.0.1:0` to `upstream`, passing bytes through.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let (state, watched) = watch::channel(State {
            mode: Mode::Pass,
            resets: 0,
        });
        let accepter = tokio::spawn(accept(listener, upstream, watched));
        Self {
            addr,
            state,
            accepter,
        }
    }

    /// A relay to the server of a database URL (`postgres://…`, `mysql://…`, `mariadb://…`).
    pub async fn to_database(url: &str) -> Self {
        Self::start(upstream_of(url).await).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `url` with its host and port replaced by the relay's.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, authority, tail) = split_url(url);
        match authority.rsplit_once('@') {
            Some((userinfo, _)) => format!("{scheme}://{userinfo}@{}{tail}", self.addr),
            None => format!("{scheme}://{}{tail}", self.addr),
        }
    }

    pub fn mode(&self) -> Mode {
        self.state.borrow().mode
    }

    /// Holds every byte, in both directions, on current and new connections.
    pub fn freeze(&self) {
        self.set(Mode::Freeze);
    }

    /// Back to passing bytes through (ends a freeze or a delay); held bytes flow on.
    pub fn thaw(&self) {
        self.set(Mode::Pass);
    }

    /// Holds each chunk `latency` before forwarding it.
    pub fn delay(&self, latency: Duration) {
        self.set(Mode::Delay(latency));
    }

    /// Closes every current connection abruptly (RST); later connections pass.
    pub fn reset(&self) {
        self.state.send_modify(|s| {
            s.mode = Mode::Pass;
            s.resets += 1;
        });
    }

    fn set(&self, mode: Mode) {
        self.state.send_modify(|s| s.mode = mode);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every connection task.
        self.accepter.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, state: watch::Receiver<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((client, _)) = accepted {
                    let epoch = state.borrow().resets;
                    connections.spawn(relay_connection(client, upstream, state.clone(), epoch));
                }
            }
            // Reap finished connections so a long test does not accumulate them.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn relay_connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut state: watch::Receiver<State>,
    epoch: u64,
) {
    // Reach the server only once thawed: to the client, a frozen relay is a peer that accepted
    // and then says nothing, and the server's own handshake timeout does not start early.
    let flowing = state
        .wait_for(|s| s.mode != Mode::Freeze || s.resets != epoch)
        .await
        .is_ok_and(|s| s.resets == epoch);
    if !flowing {
        let _ = client.set_zero_linger();
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // One direction ending ends the connection: database protocols never half-close.
    let reset = tokio::select! {
        () = reset_since(state.clone(), epoch) => true,
        _ = pump(&mut client_read, &mut server_write, state.clone()) => false,
        _ = pump(&mut server_read, &mut client_write, state) => false,
    };
    if reset {
        // Whole again, because a dropped write half sends a FIN first; a zero linger then turns
        // the close into a RST, so both peers see a reset, not an end of stream.
        for stream in [
            client_read.reunite(client_write),
            server_read.reunite(server_write),
        ]
        .into_iter()
        .flatten()
        {
            let _ = stream.set_zero_linger();
        }
    }
}

/// Returns once the relay was reset after `epoch`, or stopped.
async fn reset_since(mut state: watch::Receiver<State>, epoch: u64) {
    let _ = state.wait_for(|s| s.resets != epoch).await.map(|_| ());
}

/// Forwards one direction chunk by chunk, honouring freezes and delays.
async fn pump(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    mut state: watch::Receiver<State>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        not_frozen(&mut state).await?;
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        // Copied out: a borrow held across the sleep would block every mode change.
        let mode = state.borrow().mode;
        if let Mode::Delay(latency) = mode {
            tokio::time::sleep(latency).await;
        }
        // A chunk read just before a freeze is held, not delivered.
        not_frozen(&mut state).await?;
        to.write_all(&buf[..n]).await?;
    }
}

async fn not_frozen(state: &mut watch::Receiver<State>) -> std::io::Result<()> {
    state
        .wait_for(|s| s.mode != Mode::Freeze)
        .await
        .map(|_| ())
        .map_err(|_| std::io::Error::other("relay stopped"))
}

/// (scheme, authority, rest from the path on) of a URL.
fn split_url(url: &str) -> (&str, &str, &str) {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    (scheme, authority, tail)
}

/// The server address of a database URL, with the scheme's default port when it names none.
pub async fn upstream_of(url: &str) -> SocketAddr {
    let (scheme, authority, _) = split_url(url);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let host_port = if has_port {
        host_port.to_owned()
    } else {
        let port = match scheme {
            "mysql" | "mariadb" => 3306,
            _ => 5432,
        };
        format!("{host_port}:{port}")
    };
    tokio::net::lookup_host(&host_port)
        .await
        .unwrap_or_else(|e| panic!("resolve {host_port}: {e}"))
        .next()
        .unwrap_or_else(|| panic!("{host_port} resolves to no address"))
}
