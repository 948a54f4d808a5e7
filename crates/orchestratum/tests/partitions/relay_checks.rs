//! The relay itself, against an echo server on loopback.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::eventually;
use crate::support::relay::{Mode, Relay};

/// Long enough to tell silence from a slow echo on a loaded machine.
const SILENCE: Duration = Duration::from_millis(300);

async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    stream.write_all(message).await.unwrap();
    let mut buf = vec![0u8; message.len()];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf))
        .await
        .expect("echo within 5 s")
        .unwrap();
    buf
}

#[tokio::test]
async fn passes_bytes_both_ways() {
    let relay = Relay::start(echo_server().await).await;
    let mut client = TcpStream::connect(relay.addr()).await.unwrap();
    assert_eq!(round_trip(&mut client, b"hello").await, b"hello");
    assert_eq!(round_trip(&mut client, b"again").await, b"again");
}

#[tokio::test]
async fn freeze_holds_bytes_without_closing_until_thawed() {
    let relay = Relay::start(echo_server().await).await;
    let mut old = TcpStream::connect(relay.addr()).await.unwrap();
    assert_eq!(round_trip(&mut old, b"warm").await, b"warm");
    relay.freeze();
    assert_eq!(relay.mode(), Mode::Freeze);
    old.write_all(b"ping").await.unwrap();
    // New connections are accepted, and frozen too.
    let mut new = TcpStream::connect(relay.addr()).await.unwrap();
    new.write_all(b"pong").await.unwrap();
    let mut buf = [0u8; 4];
    for stream in [&mut old, &mut new] {
        // Silence: neither data, nor an end of stream, nor a reset.
        let read = tokio::time::timeout(SILENCE, stream.read(&mut buf)).await;
        assert!(read.is_err(), "a frozen relay delivered {read:?}");
    }
    relay.thaw();
    for (stream, expected) in [(&mut old, b"ping"), (&mut new, b"pong")] {
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf))
            .await
            .expect("held bytes delivered after the thaw")
            .unwrap();
        assert_eq!(&buf, expected);
    }
}

#[tokio::test]
async fn reset_closes_current_connections_abruptly() {
    let relay = Relay::start(echo_server().await).await;
    let mut old = TcpStream::connect(relay.addr()).await.unwrap();
    assert_eq!(round_trip(&mut old, b"warm").await, b"warm");
    relay.reset();
    let mut buf = [0u8; 4];
    let read = tokio::time::timeout(Duration::from_secs(5), old.read(&mut buf))
        .await
        .expect("the reset connection answers at once");
    assert_eq!(
        read.map_err(|e| e.kind()).unwrap_err(),
        std::io::ErrorKind::ConnectionReset,
        "a reset, not an end of stream"
    );
    let mut new = TcpStream::connect(relay.addr()).await.unwrap();
    assert_eq!(round_trip(&mut new, b"next").await, b"next");
}

#[tokio::test]
async fn delay_adds_latency_per_chunk() {
    let relay = Relay::start(echo_server().await).await;
    let mut client = TcpStream::connect(relay.addr()).await.unwrap();
    let latency = Duration::from_millis(100);
    relay.delay(latency);
    let sent = Instant::now();
    assert_eq!(round_trip(&mut client, b"slow").await, b"slow");
    // One chunk each way.
    assert!(sent.elapsed() >= latency * 2, "{:?}", sent.elapsed());
}

#[tokio::test]
async fn dropped_relay_stops_listening_and_closes_connections() {
    let relay = Relay::start(echo_server().await).await;
    let addr = relay.addr();
    let mut client = TcpStream::connect(addr).await.unwrap();
    assert_eq!(round_trip(&mut client, b"warm").await, b"warm");
    drop(relay);
    let mut buf = [0u8; 4];
    let read = tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf))
        .await
        .expect("closed at once");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // The listener goes with the accept task, which the runtime drops a moment later.
    eventually("the listener closed", Duration::from_secs(5), || async {
        TcpStream::connect(addr).await.is_err().then_some(())
    })
    .await;
}

#[tokio::test]
async fn url_for_rewrites_only_host_and_port() {
    let relay = Relay::start(echo_server().await).await;
    let at = relay.addr();
    assert_eq!(
        relay.url_for("postgres://postgres@127.0.0.1:5432/orchestratum_test"),
        format!("postgres://postgres@{at}/orchestratum_test")
    );
    assert_eq!(
        relay.url_for("mysql://root:secret@db.example:3306/x?ssl-mode=disabled"),
        format!("mysql://root:secret@{at}/x?ssl-mode=disabled")
    );
    assert_eq!(
        relay.url_for("mariadb://localhost/test"),
        format!("mariadb://{at}/test")
    );
}
