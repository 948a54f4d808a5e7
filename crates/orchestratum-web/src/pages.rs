//! The pages and actions: Overview, Workers, Schedules, Flow control and a workflow's graph
//! (the Commands pages are in `commands`).

// The error of a handler step is the page it answers, built at most once per request: its
// size costs nothing worth boxing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use orchestratum::admin::{Accuracy, Count, Overview, OverviewCounts};
use orchestratum::{IfParentFails, State as CommandState};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::assets;
use crate::commands::{command_link, list_link};
use crate::error::{bad_request, page, store};
use crate::security::{CSRF, Ctx};
use crate::throughput::{self, HOURS, HOURS_DEFAULT, Throughput};

pub(crate) type Shared = State<Arc<AppState>>;
pub(crate) type Page = Result<Response, Response>;

/// Every route of the dashboard.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(overview))
        .route("/live/overview", get(overview_live))
        .route("/live/throughput", get(throughput_live))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/workers", get(workers))
        .route("/schedules", get(schedules))
        .route("/schedules/pause", post(schedule_pause))
        .route("/schedules/resume", post(schedule_resume))
        .route("/schedules/trigger", post(schedule_trigger))
        .route("/flow", get(flow))
        .route("/flow/pause", post(flow_pause))
        .route("/flow/resume", post(flow_resume))
        .route("/workflows", get(workflow_lookup))
        .route("/workflows/{id}", get(workflow))
        .route("/assets/style.css", get(assets::style))
        .route("/assets/live.js", get(assets::script))
}

/// The nav's entries: (path, label).
const NAV: [(&str, &str); 5] = [
    ("/", "Overview"),
    ("/commands", "Commands"),
    ("/workers", "Workers"),
    ("/schedules", "Schedules"),
    ("/flow", "Flow control"),
];

/// The page around every page's content.
pub(crate) fn layout(ctx: &Ctx, title: &str, content: Markup) -> Markup {
    let v = assets::version();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Orchestratum" }
                link rel="stylesheet" href=(format!("{}?v={v}", ctx.link("/assets/style.css")));
                script defer src=(format!("{}?v={v}", ctx.link("/assets/live.js"))) {}
            }
            body {
                header {
                    strong { "Orchestratum" }
                    nav {
                        @for (path, label) in NAV {
                            @if label == title {
                                a href=(ctx.link(path)) aria-current="page" { (label) }
                            } @else {
                                a href=(ctx.link(path)) { (label) }
                            }
                        }
                    }
                    @if !ctx.can_write { span.muted { "read-only" } }
                }
                main { (content) }
            }
        }
    }
}

pub(crate) fn html_page(ctx: &Ctx, title: &str, content: Markup) -> Response {
    layout(ctx, title, content).into_response()
}

/// A POST form of one button, carrying the CSRF token and `name`.
fn action(ctx: &Ctx, path: &str, name: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(ctx.link(path)) {
            input type="hidden" name=(CSRF) value=(ctx.csrf);
            input type="hidden" name="name" value=(name);
            button type="submit" { (label) }
        }
    }
}

/// A 303 to `path` under the mount point, after an action.
pub(crate) fn see_other(ctx: &Ctx, path: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, ctx.link(path))]).into_response()
}

/// Reads a query string into `T`, or a 400 page naming what was wrong.
fn query<T: for<'de> Deserialize<'de> + Default>(
    ctx: &Ctx,
    raw: Option<String>,
) -> Result<T, Response> {
    match raw {
        None => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(&q)
            .map_err(|e| bad_request(ctx, &format!("bad query parameter: {e}"))),
    }
}

/// The form of every action: the CSRF token (checked before) and the name acted on.
#[derive(Deserialize)]
struct NameForm {
    name: String,
}

fn name_form(ctx: &Ctx, body: &Bytes) -> Result<String, Response> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| bad_request(ctx, &format!("bad form: {e}")))?;
    let form: NameForm = serde_urlencoded::from_str(
        &serde_urlencoded::to_string(pairs.iter().filter(|(k, _)| k != CSRF).collect::<Vec<_>>())
            .unwrap_or_default(),
    )
    .map_err(|e| bad_request(ctx, &format!("bad form: {e}")))?;
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        return Err(bad_request(ctx, "the form's name is empty"));
    }
    Ok(name)
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub(crate) fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Query of the overview.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OverviewQuery {
    /// How many commands under a lapsed lease to list (1 to 100).
    lapsed: Option<usize>,
    /// The throughput chart's window in hours (one of [`HOURS`]).
    hours: Option<u32>,
    /// The one command name the chart shows (every name when absent or empty).
    name: Option<String>,
}

/// Query of the throughput fragment: the chart's window and name, as on the overview.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThroughputQuery {
    hours: Option<u32>,
    name: Option<String>,
}

/// The chart of the window and name asked for, or a 400 page for a window not offered or a
/// name no command can have.
async fn chart(
    app: &AppState,
    ctx: &Ctx,
    hours: Option<u32>,
    name: Option<String>,
) -> Result<Throughput, Response> {
    let hours = hours.unwrap_or(HOURS_DEFAULT);
    if !HOURS.contains(&hours) {
        return Err(bad_request(ctx, "hours must be 1, 6 or 24"));
    }
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let now = Utc::now();
    let buckets = app
        .client
        .stats(throughput::window_start(now, hours), name.as_deref())
        .await
        .map_err(|e| store(ctx, &e))?;
    Ok(Throughput::new(&buckets, now, hours, name))
}

async fn throughput_live(
    State(app): Shared,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Page {
    let q: ThroughputQuery = query(&ctx, raw)?;
    let t = chart(&app, &ctx, q.hours, q.name).await?;
    Ok(throughput::section(&ctx, &t).into_response())
}

/// Query of the live counts fragment: the window of its finished counts, as on the overview.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LiveQuery {
    hours: Option<u32>,
}

/// The overview's counts (decision 0019: no scan of the finished rows), the finished ones
/// over the `hours` window of the chart.
async fn read_overview(
    app: &AppState,
    ctx: &Ctx,
    lapsed: usize,
    hours: u32,
) -> Result<Overview, Response> {
    let since = throughput::window_start(Utc::now(), hours);
    app.client
        .admin()
        .overview(lapsed, Some(since))
        .await
        .map_err(|e| store(ctx, &e))
}

async fn overview(
    State(app): Shared,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Page {
    let q: OverviewQuery = query(&ctx, raw)?;
    let lapsed = q.lapsed.unwrap_or(10);
    if !(1..=100).contains(&lapsed) {
        return Err(bad_request(&ctx, "lapsed must be between 1 and 100"));
    }
    let t = chart(&app, &ctx, q.hours, q.name).await?;
    let overview = read_overview(&app, &ctx, lapsed, t.hours).await?;
    let paused: Vec<&str> = overview
        .controls
        .iter()
        .filter(|c| c.paused)
        .map(|c| c.name.as_str())
        .collect();
    let interval = ctx.refresh_ms.to_string();
    let live = format!("{}?hours={}", ctx.link("/live/overview"), t.hours);
    Ok(html_page(
        &ctx,
        "Overview",
        html! {
            h1 { "Overview" }
            section #live data-live=(live) data-interval=(interval) {
                (live_counts(&ctx, &overview, t.hours))
            }
            h2 { "Throughput" }
            section #throughput data-live=(throughput::live_url(&ctx, t.hours, t.name.as_deref()))
                data-interval=(interval) {
                (throughput::section(&ctx, &t))
            }
            h2 { "By name" }
            (counts_table(&ctx, "Name", "name", &overview.by_name, t.hours))
            h2 { "By target" }
            (counts_table(&ctx, "Target", "target", &overview.by_target, t.hours))
            h2 { "Paused names" }
            @if paused.is_empty() {
                p.muted { "None." }
            } @else {
                ul { @for name in &paused { li { (name) } } }
            }
            h2 { "Lapsed leases" }
            @if overview.expired.is_empty() {
                p.muted { "None." }
            } @else {
                table {
                    tr { th { "Id" } th { "Name" } th { "Target" } th { "Lease ended" } th { "Attempt" } }
                    @for c in &overview.expired {
                        tr {
                            td { code { (c.id) } }
                            td { (c.name) }
                            td { (c.target) }
                            td { (c.run_expires_at.map(time).unwrap_or_default()) }
                            td.num { (c.attempt) }
                        }
                    }
                }
            }
            h2 { "Open a workflow" }
            form method="get" action=(ctx.link("/workflows")) {
                input type="text" name="id" placeholder="workflow id (a UUID)" required;
                " "
                button type="submit" { "Open" }
            }
        },
    ))
}

async fn overview_live(
    State(app): Shared,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Page {
    let q: LiveQuery = query(&ctx, raw)?;
    let hours = q.hours.unwrap_or(HOURS_DEFAULT);
    if !HOURS.contains(&hours) {
        return Err(bad_request(&ctx, "hours must be 1, 6 or 24"));
    }
    let overview = read_overview(&app, &ctx, 1, hours).await?;
    Ok(live_counts(&ctx, &overview, hours).into_response())
}

/// A state's column heading: a finished state says its number is the window's outcomes.
fn state_heading(s: CommandState, hours: u32) -> Markup {
    html! {
        @if s.is_terminal() {
            (s.as_str()) br; span.mark { "last " (hours) " h" }
        } @else {
            (s.as_str())
        }
    }
}

/// One count's cell content: the number, or "–" when there is none (a target's finished
/// states: the stats have no target).
fn count_cell(count: Option<Count>) -> Markup {
    html! {
        @match count {
            Some(c) => (c.n),
            None => span.muted title="not counted: the per-minute stats have no target" { "–" },
        }
    }
}

/// A number of rows, short: "1.0 M", "12.3 k", "950".
fn short(n: i64) -> String {
    let f = n as f64;
    match n.unsigned_abs() {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1} k", f / 1e3),
        _ => format!("{:.1} M", f / 1e6),
    }
}

/// The part of the overview the script refreshes.
fn live_counts(ctx: &Ctx, overview: &Overview, hours: u32) -> Markup {
    let rows = overview.rows;
    html! {
        table.counts {
            tr {
                @for s in CommandState::ALL {
                    th { a href=(list_link(ctx, &[("state", s.as_str())])) { (state_heading(s, hours)) } }
                }
                th { "unfinished" }
                th { "rows in the table" }
            }
            tr {
                @for s in CommandState::ALL {
                    @let count = overview.by_state.get(s);
                    td.num data-state=(s.as_str())
                        data-accuracy=(count.map_or("none", |c| c.accuracy.as_str())) {
                        (count_cell(count))
                    }
                }
                td.num #unfinished data-accuracy="exact" { (overview.by_state.unfinished_total()) }
                td.num #table-rows data-accuracy=(rows.accuracy.as_str()) data-rows=(rows.n) {
                    @if rows.accuracy == Accuracy::Exact {
                        (rows.n)
                    } @else {
                        "≈ " (short(rows.n)) " " span.mark { "(estimate)" }
                    }
                }
            }
        }
        p.muted.note {
            "Pending, scheduled, waiting and running are exact counts. Completed, failed and \
             canceled are the outcomes of the last " (hours) " h from the per-minute stats \
             (they survive pruning; a command retried after failing counts again), not rows in \
             the table."
            @if rows.accuracy == Accuracy::Estimated {
                " “≈ … (estimate)” is the database's estimate of the table's rows, not a count."
            }
        }
        p {
            "Oldest pending: "
            strong #oldest-pending {
                (overview.oldest_pending_age.map(age).unwrap_or_else(|| "none".into()))
            }
            " · Lapsed leases: "
            strong #lapsed-leases { (overview.expired_leases) }
        }
    }
}

/// Counts by `param` (name or target), each key linking to the list filtered by it; the
/// finished states are the window's outcomes ("–" where not counted).
fn counts_table(
    ctx: &Ctx,
    label: &str,
    param: &str,
    groups: &std::collections::BTreeMap<String, OverviewCounts>,
    hours: u32,
) -> Markup {
    html! {
        @if groups.is_empty() {
            p.muted { "No commands." }
        } @else {
            table {
                tr {
                    th { (label) }
                    @for s in CommandState::ALL { th { (state_heading(s, hours)) } }
                }
                @for (key, counts) in groups {
                    tr {
                        td { a href=(list_link(ctx, &[(param, key.as_str())])) { (key) } }
                        @for s in CommandState::ALL {
                            @let count = counts.get(s);
                            td.num data-accuracy=(count.map_or("none", |c| c.accuracy.as_str())) {
                                @match count {
                                    Some(c) if c.n > 0 => {
                                        a href=(list_link(ctx, &[(param, key.as_str()), ("state", s.as_str())])) { (c.n) }
                                    }
                                    other => (count_cell(other)),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn workers(State(app): Shared, Extension(ctx): Extension<Ctx>) -> Page {
    let workers = app.client.workers().await.map_err(|e| store(&ctx, &e))?;
    Ok(html_page(
        &ctx,
        "Workers",
        html! {
            h1 { "Workers" }
            @if workers.is_empty() {
                p.muted { "No worker has registered." }
            } @else {
                table {
                    tr {
                        th { "Worker" } th { "Instance key" } th { "Host" } th { "Pid" } th { "Version" }
                        th { "Handles" } th { "Max pull" } th { "In flight" } th { "Lease" }
                        th { "Started" } th { "Heartbeat" } th { "Status" }
                    }
                    @for w in &workers {
                        tr {
                            td { code { (w.worker_id) } }
                            td { (w.instance_key) }
                            td { (w.host) }
                            td.num { (w.pid) }
                            td { (w.version) }
                            td { (w.names.join(", ")) }
                            td.num { (w.max_command_pull) }
                            td.num { (w.in_flight) }
                            td { (age(w.lease)) }
                            td { (time(w.started_at)) }
                            td { (time(w.heartbeat_at)) }
                            @if w.alive { td.alive { "live" } } @else { td.gone { "gone" } }
                        }
                    }
                }
            }
        },
    ))
}

/// Query of the schedules page: the command a trigger just pushed.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SchedulesQuery {
    triggered: Option<String>,
}

async fn schedules(
    State(app): Shared,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Page {
    let q: SchedulesQuery = query(&ctx, raw)?;
    let triggered = match q.triggered {
        None => None,
        Some(id) => Some(
            Uuid::parse_str(&id)
                .map_err(|_| bad_request(&ctx, "triggered is not a command id (a UUID)"))?,
        ),
    };
    let list = app.client.schedules().await.map_err(|e| store(&ctx, &e))?;
    Ok(html_page(
        &ctx,
        "Schedules",
        html! {
            h1 { "Schedules" }
            @if let Some(id) = triggered {
                p.notice { "Triggered: pushed command " code { (id) } "." }
            }
            @if list.is_empty() {
                p.muted { "No schedule is stored." }
            } @else {
                table {
                    tr {
                        th { "Name" } th { "When" } th { "Zone" } th { "Command" } th { "Target" }
                        th { "Next run" } th { "Last run" } th { "Status" }
                        @if ctx.can_write { th { "Actions" } }
                    }
                    @for s in &list {
                        tr {
                            td { (s.name) }
                            td { code { (s.expression) } }
                            td { (s.time_zone) }
                            td { (s.command) br; code.muted { (s.input) } }
                            td { (s.target) }
                            td { (time(s.next_run_at)) }
                            td { (s.last_run_at.map(time).unwrap_or_else(|| "never".into())) }
                            td { @if s.paused { "paused" } @else { "active" } }
                            @if ctx.can_write {
                                td {
                                    @if s.paused {
                                        (action(&ctx, "/schedules/resume", &s.name, "Resume"))
                                    } @else {
                                        (action(&ctx, "/schedules/pause", &s.name, "Pause"))
                                    }
                                    (action(&ctx, "/schedules/trigger", &s.name, "Trigger now"))
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

async fn schedule_pause(State(app): Shared, Extension(ctx): Extension<Ctx>, body: Bytes) -> Page {
    let name = name_form(&ctx, &body)?;
    app.client
        .pause_schedule(&name)
        .await
        .map_err(|e| store(&ctx, &e))?;
    Ok(see_other(&ctx, "/schedules"))
}

async fn schedule_resume(State(app): Shared, Extension(ctx): Extension<Ctx>, body: Bytes) -> Page {
    let name = name_form(&ctx, &body)?;
    app.client
        .resume_schedule(&name)
        .await
        .map_err(|e| store(&ctx, &e))?;
    Ok(see_other(&ctx, "/schedules"))
}

async fn schedule_trigger(State(app): Shared, Extension(ctx): Extension<Ctx>, body: Bytes) -> Page {
    let name = name_form(&ctx, &body)?;
    let id = app
        .client
        .trigger_schedule(&name)
        .await
        .map_err(|e| store(&ctx, &e))?;
    Ok(see_other(&ctx, &format!("/schedules?triggered={id}")))
}

async fn flow(State(app): Shared, Extension(ctx): Extension<Ctx>) -> Page {
    let controls = app
        .client
        .admin()
        .controls()
        .await
        .map_err(|e| store(&ctx, &e))?;
    Ok(html_page(
        &ctx,
        "Flow control",
        html! {
            h1 { "Flow control" }
            @if controls.is_empty() {
                p.muted { "No name is paused or has a recorded fleet limit." }
            } @else {
                table {
                    tr {
                        th { "Name" } th { "Status" } th { "Paused at" } th { "Fleet limit" } th { "Changed" }
                        @if ctx.can_write { th { "Actions" } }
                    }
                    @for c in &controls {
                        tr {
                            td { (c.name) }
                            td { @if c.paused { "paused" } @else { "running" } }
                            td { (c.paused_at.map(time).unwrap_or_default()) }
                            td.num { (c.fleet_limit.map(|n| n.to_string()).unwrap_or_else(|| "none".into())) }
                            td { (time(c.updated_at)) }
                            @if ctx.can_write {
                                td {
                                    @if c.paused {
                                        (action(&ctx, "/flow/resume", &c.name, "Resume"))
                                    } @else {
                                        (action(&ctx, "/flow/pause", &c.name, "Pause"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if ctx.can_write {
                h2 { "Pause or resume a name" }
                form method="post" action=(ctx.link("/flow/pause")) {
                    input type="hidden" name=(CSRF) value=(ctx.csrf);
                    input type="text" name="name" placeholder="command name" required;
                    " "
                    button type="submit" { "Pause" }
                    " "
                    button type="submit" formaction=(ctx.link("/flow/resume")) { "Resume" }
                }
            }
        },
    ))
}

async fn flow_pause(State(app): Shared, Extension(ctx): Extension<Ctx>, body: Bytes) -> Page {
    let name = name_form(&ctx, &body)?;
    app.client.pause(&name).await.map_err(|e| store(&ctx, &e))?;
    Ok(see_other(&ctx, "/flow"))
}

async fn flow_resume(State(app): Shared, Extension(ctx): Extension<Ctx>, body: Bytes) -> Page {
    let name = name_form(&ctx, &body)?;
    app.client
        .resume(&name)
        .await
        .map_err(|e| store(&ctx, &e))?;
    Ok(see_other(&ctx, "/flow"))
}

pub(crate) fn parse_id(ctx: &Ctx, what: &str, s: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(s.trim())
        .map_err(|_| bad_request(ctx, &format!("{what} is not an id (a UUID)")))
}

/// Query of the workflow form on the overview.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LookupQuery {
    id: Option<String>,
}

async fn workflow_lookup(Extension(ctx): Extension<Ctx>, RawQuery(raw): RawQuery) -> Page {
    let q: LookupQuery = query(&ctx, raw)?;
    let id = parse_id(&ctx, "the workflow id", q.id.as_deref().unwrap_or(""))?;
    Ok(see_other(&ctx, &format!("/workflows/{id}")))
}

async fn workflow(State(app): Shared, Extension(ctx): Extension<Ctx>, uri: Uri) -> Page {
    // The raw segment, not axum's `Path`: its rejection (bad percent-encoding) is a plain-text
    // 400, and an id is plain ASCII anyway.
    let raw = uri.path().rsplit('/').next().unwrap_or("");
    let id = parse_id(&ctx, "the workflow id", raw)?;
    let info = app.client.workflow(id).await.map_err(|e| store(&ctx, &e))?;
    let keys: HashMap<Uuid, String> = info
        .steps
        .iter()
        .map(|s| (s.command.id, step_label(s.key.as_deref(), s.command.id)))
        .collect();
    let title = format!("Workflow {}", info.name);
    Ok(html_page(
        &ctx,
        &title,
        html! {
            h1 { "Workflow " (info.name) }
            p { "Id " code { (info.id) } " · state " strong.(format!("state-{}", info.state)) { (info.state) }
                " · " (info.steps.len()) " steps" }
            table {
                tr {
                    th { "Step" } th { "Command" } th { "State" } th { "Waits for" }
                    th { "Attempt" } th { "Last error" } th { "Command id" }
                }
                @for s in &info.steps {
                    tr #(format!("step-{}", s.command.id)) {
                        td {
                            (step_label(s.key.as_deref(), s.command.id))
                            @if s.failure_step { " " span.muted { "(on failure)" } }
                        }
                        td { (s.command.name) }
                        td.(format!("state-{}", s.command.state())) { (s.command.state()) }
                        td {
                            @if s.parents.is_empty() { span.muted { "—" } }
                            @for (i, (parent, policy)) in s.parents.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href=(format!("#step-{parent}")) {
                                    (keys.get(parent).cloned().unwrap_or_else(|| parent.to_string()))
                                }
                                @if *policy == IfParentFails::Run { " " span.muted { "(runs if it fails)" } }
                            }
                        }
                        td.num { (s.command.attempt) }
                        td.error { (s.command.last_error.as_deref().unwrap_or("")) }
                        td { a href=(command_link(&ctx, s.command.id)) { code { (s.command.id) } } }
                    }
                }
            }
        },
    ))
}

fn step_label(key: Option<&str>, id: Uuid) -> String {
    key.map_or_else(
        || format!("member {}", &id.simple().to_string()[..8]),
        str::to_owned,
    )
}

/// Any other path: a 404 page.
pub(crate) async fn not_found(Extension(ctx): Extension<Ctx>) -> Response {
    page(
        &ctx,
        StatusCode::NOT_FOUND,
        "Not found",
        "No page has this address.",
    )
}
