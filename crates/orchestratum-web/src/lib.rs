//! The Orchestratum dashboard: [`router`] returns an [`axum::Router`] of server-rendered pages
//! over a [`Client`], to serve alone (`orchestratum serve`) or to nest under any path of an
//! application.
//!
//! ```no_run
//! # async fn demo(client: orchestratum::Client) {
//! use orchestratum_web::{Options, router};
//! let app: axum::Router = axum::Router::new().nest("/ops", router(client, Options::new().read_only(true)));
//! # let _ = app;
//! # }
//! ```
//!
//! Every page works without JavaScript; a small embedded script only refreshes the live
//! counts. Every state-changing request is a POST carrying a CSRF token (a `SameSite=Strict`
//! cookie echoed in a hidden form field) and, when the browser sends one, an `Origin` or
//! `Referer` of the same host. Every value is escaped by `maud`.

mod assets;
pub mod auth;
mod command;
mod commands;
mod error;
mod graph;
mod metrics;
mod pages;
mod security;
mod throughput;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use orchestratum::Client;

pub use crate::auth::{Auth, basic, bearer};

/// What a request may do, as an [`Auth`] hook decides from its parts.
#[derive(Debug)]
pub enum Access {
    /// Refused: this response is sent as it is (a 401 with `WWW-Authenticate`, a redirect to
    /// a login page, …).
    Deny(Response),
    /// May see every page but change nothing (POSTs answer 403, no action form is shown).
    ReadOnly,
    /// May see and do everything (unless the dashboard is read-only).
    Full,
}

/// How the dashboard behaves: built with [`Options::new`] and its setters.
#[derive(Clone)]
pub struct Options {
    read_only: bool,
    auth: Option<Arc<dyn Auth>>,
    refresh: Duration,
    metrics: Option<Arc<MetricsText>>,
}

/// Renders more Prometheus text for `/metrics` (an exporter's `render`).
type MetricsText = dyn Fn() -> String + Send + Sync;

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("read_only", &self.read_only)
            .field("auth", &self.auth.is_some())
            .field("refresh", &self.refresh)
            .field("metrics", &self.metrics.is_some())
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// Read-write, no authentication of its own (the app's layers may have some), live parts
    /// refreshed every 5 s.
    pub fn new() -> Self {
        Self {
            read_only: false,
            auth: None,
            refresh: Duration::from_secs(5),
            metrics: None,
        }
    }

    /// Hides every action and answers every POST with 403, whatever the auth hook allows.
    pub fn read_only(mut self, on: bool) -> Self {
        self.read_only = on;
        self
    }

    /// Asks `auth` about every request before anything else runs.
    pub fn auth(mut self, auth: impl Auth) -> Self {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// How often the script refreshes the live parts; zero turns the refresh off.
    pub fn refresh_interval(mut self, every: Duration) -> Self {
        self.refresh = every;
        self
    }

    /// Appends what `render` returns to `/metrics`, after the queue's gauges: the process's
    /// own metrics, for example `move || handle.render()` with a
    /// `metrics_exporter_prometheus::PrometheusHandle`. Called on every scrape.
    pub fn metrics(mut self, render: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.metrics = Some(Arc::new(render));
        self
    }
}

/// What every handler shares.
pub(crate) struct AppState {
    pub client: Client,
    pub options: Options,
}

/// The dashboard's routes over `client`: nest it under any prefix (links are relative to
/// where it is mounted) or serve it as it is.
pub fn router(client: Client, options: Options) -> Router {
    let state = Arc::new(AppState { client, options });
    pages::routes()
        .merge(commands::routes())
        .merge(command::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}
