//! One command's page: every column, attempts, timeline, its chain (parent and follow-ups) and
//! its workflow, and the single actions (retry, cancel, delete, push a copy).

// The error of a handler step is the page it answers, built at most once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use orchestratum::{Cancellation, CommandRecord, Error, Push, State as CommandState, WorkflowInfo};
use uuid::Uuid;

use crate::AppState;
use crate::commands::{command_link, one, pairs_of};
use crate::error::{bad_request, page, store};
use crate::graph::{self, ANCESTORS_MAX, Graph, Item};
use crate::pages::{Page, Shared, html_page, parse_id, see_other, time};
use crate::security::{CSRF, Ctx};

/// The routes of this module.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/commands/{id}", get(command))
        .route("/live/commands/{id}", get(command_live))
        .route("/commands/{id}/{action}", post(command_action))
}

/// The flash message a redirect after an action carries.
fn flash(done: &str) -> Option<&'static str> {
    Some(match done {
        "retried" => "Retried: the command is pending again.",
        "canceled" => "Canceled.",
        "cancel-requested" => {
            "Cancellation requested: the worker running it (or the next to claim it) stops it."
        }
        "copied" => "Pushed: this is a copy of the command.",
        _ => return None,
    })
}

/// The id segment of a path whose last `skip` segments follow it.
fn id_segment(uri: &Uri, skip: usize) -> &str {
    uri.path().rsplit('/').nth(skip).unwrap_or("")
}

fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| json.to_owned())
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_else(|| "—".into())
}

/// When a UUIDv7 id was made; `None` for ids of other versions.
fn created_at(id: Uuid) -> Option<DateTime<Utc>> {
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
}

/// `GET /commands/{id}`: everything about one command.
async fn command(
    State(app): Shared,
    Extension(ctx): Extension<Ctx>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Page {
    // The raw segment, not axum's `Path`: its rejection is a plain-text 400.
    let id = parse_id(&ctx, "the command id", id_segment(&uri, 0))?;
    let pairs = pairs_of(&ctx, raw.as_deref().unwrap_or("").as_bytes())?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "done") {
        return Err(bad_request(&ctx, &format!("unknown parameter {k}")));
    }
    let notice = match one(&ctx, &pairs, "done")? {
        None => None,
        Some(d) => Some(flash(&d).ok_or_else(|| bad_request(&ctx, "done names no action"))?),
    };
    let c = app.client.get(id).await.map_err(|e| store(&ctx, &e))?;
    let title = format!("Command {}", c.name);
    let interval = ctx.refresh_ms.to_string();
    let live = command_body(&app, &ctx, c).await?;
    Ok(html_page(
        &ctx,
        &title,
        html! {
            h1 { (title) }
            @if let Some(n) = notice { p.notice #flash { (n) } }
            section #live data-live=(ctx.link(&format!("/live/commands/{id}"))) data-interval=(interval) {
                (live)
            }
        },
    ))
}

/// `GET /live/commands/{id}`: the part of the command's page the script refreshes, so a
/// retried command is seen running and finishing without a reload.
async fn command_live(State(app): Shared, Extension(ctx): Extension<Ctx>, uri: Uri) -> Page {
    let id = parse_id(&ctx, "the command id", id_segment(&uri, 0))?;
    let c = app.client.get(id).await.map_err(|e| store(&ctx, &e))?;
    Ok(command_body(&app, &ctx, c).await?.into_response())
}

/// Everything on the command's page below its title: state, actions, columns, last error,
/// its chain and workflow as graphs, input and output, attempts and timeline.
async fn command_body(app: &AppState, ctx: &Ctx, c: CommandRecord) -> Result<Markup, Response> {
    let id = c.id;
    let attempts = app.client.attempts(id).await.map_err(|e| store(ctx, &e))?;
    let follow_ups = app
        .client
        .follow_ups(id)
        .await
        .map_err(|e| store(ctx, &e))?;
    let workflow = match c.workflow_id {
        None => None,
        Some(wid) => match app.client.workflow(wid).await {
            Ok(info) => Some(Ok(info)),
            Err(Error::WorkflowNotFound(_)) => Some(Err(wid)),
            Err(e) => return Err(store(ctx, &e)),
        },
    };
    let chain = chain_section(app, ctx, &c, &follow_ups).await?;
    let state = c.state();
    let mut timeline: Vec<(DateTime<Utc>, String)> = Vec::new();
    if let Some(t) = created_at(id) {
        timeline.push((t, "pushed".into()));
    }
    for a in &attempts {
        let worker = a
            .worker_id
            .map(|w| format!(" on worker {w}"))
            .unwrap_or_default();
        if let Some(t) = a.started_at {
            timeline.push((t, format!("attempt {} started{worker}", a.attempt)));
        }
        if let Some(t) = a.ended_at {
            timeline.push((t, format!("attempt {} ended: {}", a.attempt, a.outcome)));
        }
    }
    if let Some(t) = c.cancel_requested_at {
        timeline.push((t, "cancellation requested".into()));
    }
    for (t, what) in [
        (c.completed_at, "completed"),
        (c.failed_at, "failed for good"),
        (c.canceled_at, "canceled"),
    ] {
        if let Some(t) = t {
            timeline.push((t, what.into()));
        }
    }
    timeline.sort_by_key(|(t, _)| *t);
    let details: Vec<(&str, String)> = vec![
        ("Name", c.name.clone()),
        ("State", state.to_string()),
        (
            "Status",
            c.status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "—".into()),
        ),
        ("Target", c.target.clone()),
        ("Priority", c.priority.to_string()),
        (
            "Scheduled at",
            if state == CommandState::Waiting {
                "when its parents finish".into()
            } else {
                time(c.scheduled_at)
            },
        ),
        ("Timeout", format!("{} s", c.timeout.as_secs_f64())),
        ("Attempt", c.attempt.to_string()),
        ("Retries left", retries_left(c.retries_left)),
        ("Running since", opt_time(c.running_at)),
        ("Lease ends", opt_time(c.run_expires_at)),
        (
            "Worker",
            c.worker_id
                .map(|w| w.to_string())
                .unwrap_or_else(|| "—".into()),
        ),
        ("Completed at", opt_time(c.completed_at)),
        ("Failed at", opt_time(c.failed_at)),
        ("Canceled at", opt_time(c.canceled_at)),
        ("Cancel requested at", opt_time(c.cancel_requested_at)),
        (
            "Last outcome",
            c.last_outcome
                .map(|o| o.as_str().to_owned())
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Unique key",
            c.unique_key
                .clone()
                .map(|k| {
                    let over: Vec<&str> = c.unique_over.iter().map(|s| s.as_str()).collect();
                    if over.is_empty() {
                        k
                    } else {
                        format!("{k} (held also when {})", over.join(", "))
                    }
                })
                .unwrap_or_else(|| "—".into()),
        ),
    ];
    Ok(html! {
            p { "Id " code { (c.id) } " · state " strong.(format!("state-{state}")) { (state) } }
            @if ctx.can_write {
                p.actions {
                    @if matches!(state, CommandState::Failed | CommandState::Canceled) {
                        (act(ctx, id, "retry", "Retry"))
                    }
                    @if !state.is_terminal() { (act(ctx, id, "cancel", "Cancel")) }
                    (act(ctx, id, "delete", "Delete"))
                    (act(ctx, id, "copy", "Push a copy"))
                }
            }
            table.details {
                @for (k, v) in &details { tr { th { (k) } td { (v) } } }
            }
            h2 { "Last error" }
            @if let Some(e) = &c.last_error { pre.error { (e) } } @else { p.muted { "None." } }
            (chain)
            (workflow_section(ctx, id, workflow.as_ref()))
            h2 { "Input" }
            @if let Some(i) = &c.input { pre #input { (pretty(i)) } } @else { p.muted { "None." } }
            h2 { "Output" }
            @if let Some(o) = &c.output { pre #output { (pretty(o)) } } @else { p.muted { "None." } }
            h2 { "Attempts" }
            @if attempts.is_empty() {
                p.muted { "Not run yet." }
            } @else {
                table.attempts {
                    tr { th { "#" } th { "Outcome" } th { "Worker" } th { "Started" } th { "Ended" } th { "Error" } }
                    @for a in &attempts {
                        tr {
                            td.num { (a.attempt) }
                            td { (a.outcome) }
                            td { (a.worker_id.map(|w| w.to_string()).unwrap_or_else(|| "—".into())) }
                            td { (opt_time(a.started_at)) }
                            td { (opt_time(a.ended_at)) }
                            td.error { (a.error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            h2 { "Timeline" }
            ol.timeline { @for (t, what) in &timeline { li { (time(*t)) " — " (what) } } }
    })
}

/// The stored `retries_left` as what is true: a command that failed for good stores -1.
fn retries_left(n: i32) -> String {
    if n < 0 {
        "0 (no retries left)".into()
    } else {
        n.to_string()
    }
}

/// A command as its chain's graph shows it.
fn chain_item(r: &CommandRecord) -> Item {
    Item {
        id: r.id,
        name: r.name.clone(),
        key: None,
        state: r.state(),
        parents: Vec::new(),
        failure_step: false,
    }
}

/// The command's ancestors up the parent line, nearest first (at most [`ANCESTORS_MAX`]),
/// whether the line goes on past them, and the parent id where it stops if that row is gone.
async fn ancestors(
    app: &AppState,
    c: &CommandRecord,
) -> orchestratum::Result<(Vec<CommandRecord>, bool, Option<Uuid>)> {
    let mut found = Vec::new();
    let mut seen = HashSet::from([c.id]);
    let mut next = c.parent_id;
    while let Some(p) = next {
        // A loop in the parent line (only a hand-edited table has one) ends it too.
        if found.len() == ANCESTORS_MAX || !seen.insert(p) {
            return Ok((found, true, None));
        }
        match app.client.get(p).await {
            Ok(r) => {
                next = r.parent_id;
                found.push(r);
            }
            Err(Error::NotFound(_)) => return Ok((found, false, Some(p))),
            Err(e) => return Err(e),
        }
    }
    Ok((found, false, None))
}

/// The "Chain" section: the parent line, the command and its follow-ups as a graph.
async fn chain_section(
    app: &AppState,
    ctx: &Ctx,
    c: &CommandRecord,
    follow_ups: &[CommandRecord],
) -> Result<Markup, Response> {
    let (line, older, missing) = ancestors(app, c).await.map_err(|e| store(ctx, &e))?;
    let alone = line.is_empty() && missing.is_none() && follow_ups.is_empty();
    let graph = Graph::chain(
        &line.iter().map(chain_item).collect::<Vec<_>>(),
        older,
        missing,
        &chain_item(c),
        &follow_ups.iter().map(chain_item).collect::<Vec<_>>(),
    );
    Ok(html! {
        h2 { "Chain" }
        p {
            "Parent: "
            @if let Some(p) = c.parent_id {
                a.parent href=(command_link(ctx, p)) { code { (p) } }
            } @else { span.muted { "none (pushed directly)" } }
            " · follow-ups: " (follow_ups.len())
        }
        @if !alone {
            (graph::svg(ctx, &graph, "chain-graph", "The command's chain: its ancestors, itself and its follow-ups"))
        }
    })
}

/// The "Workflow" section of a step: which step of which workflow, and the workflow's graph.
fn workflow_section(ctx: &Ctx, id: Uuid, workflow: Option<&Result<WorkflowInfo, Uuid>>) -> Markup {
    let Some(w) = workflow else {
        return html! {};
    };
    html! {
        h2 { "Workflow" }
        @match w {
            Err(wid) => p.muted { "Step of workflow " code { (wid) } ", no longer stored." },
            Ok(info) => {
                @let step = info.steps.iter().find(|s| s.command.id == id);
                @let href = ctx.link(&format!("/workflows/{}", info.id));
                @let items: Vec<Item> = info.steps.iter().map(|s| Item {
                    id: s.command.id,
                    name: s.command.name.clone(),
                    key: s.key.clone(),
                    state: s.command.state(),
                    parents: s.parents.iter().map(|(p, _)| *p).collect(),
                    failure_step: s.failure_step,
                }).collect();
                p {
                    "Step "
                    strong { (step.and_then(|s| s.key.clone()).unwrap_or_else(|| "(a batch member)".into())) }
                    " of workflow "
                    a.workflow href=(href) { (info.name) }
                    " (" (info.state) ", " (info.steps.len()) " steps)"
                }
                (graph::svg(ctx, &Graph::workflow(&items, id, &href), "workflow-graph", "The workflow's steps, parents above children"))
            }
        }
    }
}

/// A POST form of one button acting on command `id`.
fn act(ctx: &Ctx, id: Uuid, verb: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(ctx.link(&format!("/commands/{id}/{verb}"))) {
            input type="hidden" name=(CSRF) value=(ctx.csrf);
            button type="submit" { (label) }
        }
    }
}

fn conflict(ctx: &Ctx, detail: &str) -> Response {
    page(ctx, StatusCode::CONFLICT, "Not possible now", detail)
}

/// `POST /commands/{id}/{retry|cancel|delete|copy}`: the action, then a redirect with a
/// flash message, or the error's page.
async fn command_action(State(app): Shared, Extension(ctx): Extension<Ctx>, uri: Uri) -> Page {
    let verb = id_segment(&uri, 0).to_owned();
    let id = parse_id(&ctx, "the command id", id_segment(&uri, 1))?;
    if !matches!(verb.as_str(), "retry" | "cancel" | "delete" | "copy") {
        return Err(crate::pages::not_found(Extension(ctx)).await);
    }
    let record = app.client.get(id).await.map_err(|e| store(&ctx, &e))?;
    let admin = app.client.admin();
    let back = |done: &str| see_other(&ctx, &format!("/commands/{id}?done={done}"));
    match verb.as_str() {
        "retry" => match admin.retry(id, None).await.map_err(|e| store(&ctx, &e))? {
            Some(_) => Ok(back("retried")),
            None => Err(conflict(
                &ctx,
                &format!(
                    "Only a failed or canceled command can be retried; this one is {}.",
                    record.state()
                ),
            )),
        },
        "cancel" => match app.client.cancel(id).await.map_err(|e| store(&ctx, &e))? {
            Cancellation::Canceled => Ok(back("canceled")),
            Cancellation::Requested => Ok(back("cancel-requested")),
            Cancellation::AlreadyFinished(state) => Err(conflict(
                &ctx,
                &format!("The command had already finished: it is {state}."),
            )),
        },
        "delete" => {
            admin.delete(id).await.map_err(|e| store(&ctx, &e))?;
            Ok(see_other(&ctx, &format!("/commands?deleted={id}")))
        }
        _ => {
            let push = Push::new()
                .target(record.target.clone())
                .priority(record.priority)
                .timeout(record.timeout);
            let copy = admin
                .push(
                    &record.name,
                    record.input.as_deref().unwrap_or("null"),
                    push,
                )
                .await
                .map_err(|e| store(&ctx, &e))?;
            Ok(see_other(&ctx, &format!("/commands/{copy}?done=copied")))
        }
    }
}
