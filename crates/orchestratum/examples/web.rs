//! The reference README's web controller in Rust (axum), with the worker in the same process.
//!
//! - `POST /reports` with `{"title": "Q3"}` pushes the report command and answers
//!   `202 Accepted` with `{"commandId": "…"}`, like the reference's `Accepted(new { commandId })`.
//! - `GET /commands/{id}` answers the command's state and output: `200` with
//!   `{"commandId", "name", "state", "status", "output", "lastError"}`, `404` for an unknown id,
//!   `400` for an id that is not a UUID.
//!
//! Runs on a SQLite file (`web.db`) by default and on any `DATABASE_URL`; listens on
//! `127.0.0.1:3000`, or on the port in `PORT`. Stop it with Ctrl-C.
//!
//! ```sh
//! cargo run --example web
//! curl -i -X POST localhost:3000/reports -H 'content-type: application/json' -d '{"title":"Q3"}'
//! curl -i localhost:3000/commands/<commandId>
//! ```

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{
    GenerateReportCommand, GenerateReportHandler, ReportRequest, ReportService, SendEmailHandler,
};
use orchestratum::{Client, Error, Orchestratum};
use serde_json::{Value, json};
use tokio::sync::Notify;
use uuid::Uuid;

/// The routes, over a client of a started instance (or a client-only one).
pub fn app(client: Client) -> Router {
    Router::new()
        .route("/reports", post(post_report))
        .route("/commands/{id}", get(get_command))
        .with_state(client)
}

/// Starts an instance on `url` with the report and e-mail handlers: the worker runs in this
/// process, beside the web server.
pub async fn start(url: &str, table_prefix: &str) -> orchestratum::Result<Orchestratum> {
    Orchestratum::builder()
        .database(url)
        .table_prefix(table_prefix)
        .instance_key("web")
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

/// `[HttpPost("generate")]`: push, then `202 Accepted` with the command's id.
async fn post_report(State(client): State<Client>, Json(request): Json<ReportRequest>) -> Response {
    match client.push(GenerateReportCommand(request)).await {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({ "commandId": id }))).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// The command's state and output; 400 for a malformed id, 404 for an unknown one.
async fn get_command(State(client): State<Client>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::try_parse(&id) else {
        return error(StatusCode::BAD_REQUEST, &format!("`{id}` is not a UUID"));
    };
    match client.get(id).await {
        Ok(record) => {
            let output = record
                .output
                .as_deref()
                .map(|o| serde_json::from_str(o).unwrap_or_else(|_| Value::String(o.into())));
            Json(json!({
                "commandId": record.id,
                "name": record.name,
                "state": record.state().as_str(),
                "status": record.status().map(|s| format!("{s:?}")),
                "output": output,
                "lastError": record.last_error,
            }))
            .into_response()
        }
        Err(Error::NotFound(_)) => error(StatusCode::NOT_FOUND, &format!("command {id} not found")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://web.db?mode=rwc".into());
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|e| format!("PORT={p:?}: {e}"))?,
        Err(_) => 3000,
    };
    let orch = start(&url, orchestratum::config::TABLE_PREFIX_DEFAULT).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(orch.client()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    orch.shutdown(Duration::from_secs(10)).await?;
    Ok(())
}
