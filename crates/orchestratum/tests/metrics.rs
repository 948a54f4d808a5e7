//! The metrics example over real HTTP: the Prometheus recorder installed, the report chain of
//! the reference run to completion (and a failing command beside it), then `/metrics` scraped
//! and its counts checked.

// The example's `main` is not called here.
#[allow(dead_code)]
#[path = "../examples/metrics.rs"]
mod metrics_example;

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use orchestratum::Push;
use support::commands::{AlwaysFailsCommand, AlwaysFailsHandler};
use support::{Backend, Probe, TestDb, wait_terminal};

/// `GET /metrics` on a fresh connection.
async fn scrape(addr: std::net::SocketAddr) -> String {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let conn = tokio::spawn(conn);
    let req = Request::get("/metrics")
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .expect("request");
    let res = sender.send_request(req).await.expect("send");
    assert!(res.status().is_success(), "{}", res.status());
    let body = res.into_body().collect().await.expect("body").to_bytes();
    drop(sender);
    let _ = conn.await;
    String::from_utf8(body.to_vec()).expect("utf-8")
}

/// The value of the sample `name` whose labels include all of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        if metric != name {
            return None;
        }
        let found: BTreeMap<&str, &str> = rest
            .trim_end_matches('}')
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k, v.trim_matches('"')))
            .collect();
        labels
            .iter()
            .all(|(k, v)| found.get(k) == Some(v))
            .then(|| value.parse().ok())
            .flatten()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraped_metrics_count_what_ran() {
    let handle = metrics_example::install().expect("install the recorder");
    let db = TestDb::new(Backend::Sqlite).await;
    let orch = metrics_example::start(&db.url, &db.prefix)
        .await
        .expect("start");
    let probe = Probe::new();
    let failing = db
        .builder()
        .instance_key("failing")
        .handler(AlwaysFailsHandler(probe.clone()))
        .start()
        .await
        .expect("start the failing worker");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, metrics_example::app(handle)).into_future());

    let ids = metrics_example::push_reports(&orch, &["Q1", "Q2", "Q3"])
        .await
        .unwrap();
    let failed = failing
        .push_with(AlwaysFailsCommand, Push::new().retries(1))
        .await
        .unwrap();
    for id in &ids {
        wait_terminal(&orch, *id).await;
    }
    wait_terminal(&failing, failed).await;
    // The e-mails the reports chained.
    support::eventually(
        "the e-mails to be sent",
        Duration::from_secs(10),
        || async {
            let text = scrape(addr).await;
            let sent = sample(
                &text,
                "orchestratum_outcomes_total",
                &[("name", "send_email"), ("outcome", "completed")],
            );
            (sent == Some(3.0)).then_some(())
        },
    )
    .await;

    let text = scrape(addr).await;
    let value = |name: &str, labels: &[(&str, &str)]| {
        sample(&text, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"))
    };
    let report = ("name", "generate_report");
    assert_eq!(value("orchestratum_commands_pushed_total", &[report]), 3.0);
    assert_eq!(
        value(
            "orchestratum_commands_pushed_total",
            &[("name", "send_email")]
        ),
        3.0,
        "follow-ups count as pushed"
    );
    assert_eq!(value("orchestratum_commands_claimed_total", &[report]), 3.0);
    assert_eq!(
        value(
            "orchestratum_outcomes_total",
            &[report, ("outcome", "completed")]
        ),
        3.0
    );
    let fails = ("name", "always_fails");
    assert_eq!(value("orchestratum_commands_claimed_total", &[fails]), 2.0);
    assert_eq!(
        value(
            "orchestratum_outcomes_total",
            &[fails, ("outcome", "retried")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "orchestratum_outcomes_total",
            &[fails, ("outcome", "failed")]
        ),
        1.0
    );
    assert_eq!(
        value("orchestratum_run_duration_seconds_count", &[report]),
        3.0
    );
    assert_eq!(
        value("orchestratum_queue_wait_seconds_count", &[report]),
        3.0
    );
    assert_eq!(
        value("orchestratum_end_to_end_seconds_count", &[report]),
        3.0
    );
    assert_eq!(
        value("orchestratum_end_to_end_seconds_count", &[fails]),
        1.0,
        "a retry is not an end"
    );
    assert!(value("orchestratum_claim_duration_seconds_count", &[]) >= 1.0);
    assert!(value("orchestratum_claim_batch_size_count", &[]) >= 1.0);
    assert!(value("orchestratum_outcome_write_duration_seconds_count", &[]) >= 1.0);
    assert!(value("orchestratum_outcome_write_batch_size_sum", &[]) >= 8.0);
    assert_eq!(value("orchestratum_runs_in_flight", &[]), 0.0);

    server.abort();
    failing.shutdown(Duration::from_secs(5)).await.unwrap();
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}
