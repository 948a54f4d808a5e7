//! The worker's metrics in Prometheus format: `metrics-exporter-prometheus` is installed as
//! the `metrics` recorder, and `GET /metrics` renders it. The report and e-mail handlers of the
//! reference README run in the same process; a few reports are pushed at start so there is
//! something to see. `docs/metrics.md` lists every metric.
//!
//! Runs on a SQLite file (`metrics.db`) by default and on any `DATABASE_URL`; listens on
//! `127.0.0.1:9000`, or on the port in `PORT`. Stop it with Ctrl-C.
//!
//! ```sh
//! cargo run --example metrics
//! curl -s localhost:9000/metrics | grep orchestratum_
//! ```

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::{
    GenerateReportCommand, GenerateReportHandler, ReportRequest, ReportService, SendEmailHandler,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use orchestratum::{Client, Orchestratum};
use tokio::sync::Notify;

/// Installs the Prometheus recorder for the whole process (before the worker starts, so that
/// nothing it records is missed).
pub fn install() -> Result<PrometheusHandle, Box<dyn std::error::Error>> {
    Ok(PrometheusBuilder::new().install_recorder()?)
}

/// `GET /metrics`: the text exposition format.
pub fn app(handle: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(h): State<PrometheusHandle>| async move { h.render() }),
        )
        .with_state(handle)
}

/// Starts an instance on `url` with the report and e-mail handlers.
pub async fn start(url: &str, table_prefix: &str) -> orchestratum::Result<Orchestratum> {
    Orchestratum::builder()
        .database(url)
        .table_prefix(table_prefix)
        .handlers((
            GenerateReportHandler {
                reports: Arc::new(ReportService),
            },
            SendEmailHandler {
                sent: Arc::new(Notify::new()),
            },
        ))
        .start()
        .await
}

/// Pushes one report per title; their ids, in order.
pub async fn push_reports(
    client: &Client,
    titles: &[&str],
) -> orchestratum::Result<Vec<uuid::Uuid>> {
    let mut ids = Vec::with_capacity(titles.len());
    for title in titles {
        let request = ReportRequest {
            title: (*title).into(),
        };
        ids.push(client.push(GenerateReportCommand(request)).await?);
    }
    Ok(ids)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let handle = install()?;
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://metrics.db?mode=rwc".into());
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|e| format!("PORT={p:?}: {e}"))?,
        Err(_) => 9000,
    };
    let orch = start(&url, orchestratum::config::TABLE_PREFIX_DEFAULT).await?;
    push_reports(&orch, &["Q1", "Q2", "Q3"]).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("metrics at http://{}/metrics", listener.local_addr()?);
    axum::serve(listener, app(handle))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    orch.shutdown(Duration::from_secs(10)).await?;
    Ok(())
}
