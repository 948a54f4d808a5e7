//! The web example over real HTTP: its router (`examples/web.rs`, included here) served on a
//! free local port, with the worker in the same process, on a SQLite file.

// The example's `main` is not called here.
#[allow(dead_code)]
#[path = "../examples/web.rs"]
mod web;

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use support::{Backend, TestDb, eventually};

/// One HTTP/1.1 request on a fresh connection; the JSON body of the answer.
async fn request(
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let conn = tokio::spawn(conn);
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .expect("request");
    let res = sender.send_request(req).await.expect("send");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    drop(sender);
    let _ = conn.await;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_report_then_poll_the_command_over_http() {
    let db = TestDb::new(Backend::Sqlite).await;
    let orch = web::start(&db.url, &db.prefix).await.expect("start");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, web::app(orch.client())).into_future());

    let (status, body) = request(addr, Method::POST, "/reports", Some(r#"{"title":"Q3"}"#)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["commandId"].as_str().expect("commandId").to_owned();
    assert!(uuid::Uuid::try_parse(&id).is_ok(), "{id}");

    let path = format!("/commands/{id}");
    let done = eventually("report completed", Duration::from_secs(15), || async {
        let (status, body) = request(addr, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (body["state"] == "completed").then_some(body)
    })
    .await;
    assert_eq!(done["commandId"], id.as_str());
    assert_eq!(done["name"], "generate_report");
    assert_eq!(done["status"], "Success");
    assert_eq!(done["output"]["report_id"], 42);

    let unknown = format!("/commands/{}", uuid::Uuid::now_v7());
    let (status, body) = request(addr, Method::GET, &unknown, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not found"),
        "{body}"
    );
    let (status, body) = request(addr, Method::GET, "/commands/not-a-uuid", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not a UUID"),
        "{body}"
    );
    let (status, _) = request(addr, Method::POST, "/reports", Some("{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    server.abort();
    let _ = server.await;
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}
