//! The Commands list: filters, keyset pages, bulk actions behind a confirmation (one
//! command's page is in `command.rs`).

// The error of a handler step is the page it answers, built at most once per request.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use maud::{Markup, html};
use orchestratum::admin::{
    BulkReport, Cursor, SEARCH_LIMIT_MAX, SEARCH_SCAN_DEFAULT, ScanStop, SearchFilter, Selection,
};
use orchestratum::{CommandRecord, State as CommandState};
use uuid::Uuid;

use crate::AppState;
use crate::error::{bad_request, store};
use crate::pages::{Page, Shared, html_page, parse_id, time};
use crate::security::{CSRF, Ctx};

/// The list's rows per page unless `limit` says otherwise.
const PAGE_SIZE: usize = 50;
/// Most rows a page may ask for.
const LIMIT_MAX: usize = 500;
/// Counting what a filter matches stops here, so a confirmation page stays quick.
const COUNT_CAP: u64 = 10_000;
/// The filter's fields, as the query string and the bulk forms name them.
const FILTER_KEYS: [&str; 7] = ["state", "name", "target", "text", "id", "since", "until"];

/// The routes of this module.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/commands", get(list))
        .route("/commands/bulk", post(bulk))
}

/// A link to the list filtered by `fields`.
pub(crate) fn list_link(ctx: &Ctx, fields: &[(&str, &str)]) -> String {
    if fields.is_empty() {
        return ctx.link("/commands");
    }
    let q = serde_urlencoded::to_string(fields).unwrap_or_default();
    ctx.link(&format!("/commands?{q}"))
}

/// A link to one command's page.
pub(crate) fn command_link(ctx: &Ctx, id: Uuid) -> String {
    ctx.link(&format!("/commands/{id}"))
}

pub(crate) type Pairs = Vec<(String, String)>;

pub(crate) fn pairs_of(ctx: &Ctx, bytes: &[u8]) -> Result<Pairs, Response> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|e| bad_request(ctx, &format!("bad parameters: {e}")))
}

/// The one value of `key`, trimmed; empty counts as absent, twice is a 400.
pub(crate) fn one(ctx: &Ctx, pairs: &Pairs, key: &str) -> Result<Option<String>, Response> {
    let mut found = pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim());
    let first = found.next();
    if found.next().is_some() {
        return Err(bad_request(ctx, &format!("{key} is given more than once")));
    }
    Ok(first.filter(|v| !v.is_empty()).map(str::to_owned))
}

/// A filter and the fields it was read from (to keep in links and forms).
struct Filter {
    filter: SearchFilter,
    fields: Vec<(&'static str, String)>,
}

impl Filter {
    fn field_refs(&self) -> Vec<(&str, &str)> {
        self.fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Reads the filter's fields of `pairs`; a key neither a filter's nor in `extra` is a 400.
fn read_filter(ctx: &Ctx, pairs: &Pairs, extra: &[&str]) -> Result<Filter, Response> {
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| !FILTER_KEYS.contains(&k.as_str()) && !extra.contains(&k.as_str()))
    {
        return Err(bad_request(ctx, &format!("unknown parameter {k}")));
    }
    let mut filter = SearchFilter::default();
    let mut fields = Vec::new();
    for key in FILTER_KEYS {
        let Some(value) = one(ctx, pairs, key)? else {
            continue;
        };
        match key {
            "state" => {
                filter.state = Some(CommandState::parse(&value).ok_or_else(|| {
                    let states: Vec<&str> = CommandState::ALL.iter().map(|s| s.as_str()).collect();
                    bad_request(ctx, &format!("state must be one of {}", states.join(", ")))
                })?);
            }
            "name" => filter.name = Some(value.clone()),
            "target" => filter.target = Some(value.clone()),
            "text" => filter.text = Some(value.clone()),
            "id" => filter.id = Some(parse_id(ctx, "id", &value)?),
            "since" => filter.created_from = Some(parse_time(ctx, "since", &value)?),
            _ => filter.created_until = Some(parse_time(ctx, "until", &value)?),
        }
        fields.push((key, value));
    }
    Ok(Filter { filter, fields })
}

/// A time as RFC 3339, or as a form's `YYYY-MM-DDTHH:MM[:SS]` or `YYYY-MM-DD`, read as UTC.
fn parse_time(ctx: &Ctx, what: &str, s: &str) -> Result<DateTime<Utc>, Response> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            bad_request(
                ctx,
                &format!("{what} is not a time (2026-12-01T17:00, UTC, or RFC 3339)"),
            )
        })
}

/// `GET /commands`: the filter form and one page of matching commands, newest first.
async fn list(State(app): Shared, Extension(ctx): Extension<Ctx>, RawQuery(raw): RawQuery) -> Page {
    let pairs = pairs_of(&ctx, raw.as_deref().unwrap_or("").as_bytes())?;
    let mut f = read_filter(&ctx, &pairs, &["after", "limit", "scan", "deleted"])?;
    let after = match one(&ctx, &pairs, "after")? {
        None => None,
        Some(c) => Some(c.parse::<Cursor>().map_err(|e| store(&ctx, &e))?),
    };
    let limit = match one(&ctx, &pairs, "limit")? {
        None => PAGE_SIZE,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=LIMIT_MAX).contains(l))
            .ok_or_else(|| {
                bad_request(&ctx, &format!("limit must be between 1 and {LIMIT_MAX}"))
            })?,
    };
    // Rows a text search examines a page; the library refuses one out of its range.
    let scan = one(&ctx, &pairs, "scan")?;
    f.filter.scan_budget = match &scan {
        None => None,
        Some(n) => Some(
            n.parse::<usize>()
                .map_err(|_| bad_request(&ctx, "scan must be a number of rows"))?,
        ),
    };
    let deleted = match one(&ctx, &pairs, "deleted")? {
        None => None,
        Some(id) => Some(parse_id(&ctx, "deleted", &id)?),
    };
    let page = app
        .client
        .admin()
        .search(&f.filter, after, limit)
        .await
        .map_err(|e| store(&ctx, &e))?;
    let mut keep = f.field_refs();
    let limit_text = limit.to_string();
    if limit != PAGE_SIZE {
        keep.push(("limit", &limit_text));
    }
    if let Some(scan) = &scan {
        keep.push(("scan", scan));
    }
    let next = page.next.map(|c| {
        let cursor = c.to_string();
        let mut fields = keep.clone();
        fields.push(("after", &cursor));
        list_link(&ctx, &fields)
    });
    let value = |key: &str| {
        f.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let state = value("state");
    Ok(html_page(
        &ctx,
        "Commands",
        html! {
            h1 { "Commands" }
            @if let Some(id) = deleted { p.notice { "Deleted command " code { (id) } "." } }
            form.filters method="get" action=(ctx.link("/commands")) {
                label { "State " select name="state" {
                    option value="" { "any" }
                    @for s in CommandState::ALL {
                        option value=(s.as_str()) selected[state == s.as_str()] { (s.as_str()) }
                    }
                } }
                " "
                label { "Name " input type="text" name="name" value=(value("name")); }
                " "
                label { "Target " input type="text" name="target" value=(value("target")); }
                " "
                label { "Text in input or error " input type="text" name="text" value=(value("text")); }
                " "
                label { "Id " input type="text" name="id" value=(value("id")) placeholder="a UUID"; }
                " "
                label { "Created since " input type="text" name="since" value=(value("since")) placeholder="2026-12-01T17:00 (UTC)"; }
                " "
                label { "until " input type="text" name="until" value=(value("until")) placeholder="2026-12-01T18:00 (UTC)"; }
                @if limit != PAGE_SIZE { input type="hidden" name="limit" value=(limit_text); }
                " "
                button type="submit" { "Filter" }
                " "
                a href=(ctx.link("/commands")) { "Clear" }
            }
            @if let (Some(stop), Some(next)) = (page.scan_stopped, &next) {
                (scan_notice(stop, after.is_some(), page.rows.len() < limit, next))
            }
            @if page.rows.is_empty() {
                @if page.scan_stopped.is_none() { p.muted { "No command matches." } }
            } @else if ctx.can_write {
                form method="post" action=(ctx.link("/commands/bulk")) {
                    input type="hidden" name=(CSRF) value=(ctx.csrf);
                    (hidden_filter(&f))
                    (rows_table(&ctx, &page.rows, true))
                    p.actions {
                        "Selected: "
                        button type="submit" name="bulk" value="retry:selected" { "Retry" } " "
                        button type="submit" name="bulk" value="cancel:selected" { "Cancel" } " "
                        button type="submit" name="bulk" value="delete:selected" { "Delete" }
                        " · Everything matching the filter: "
                        button type="submit" name="bulk" value="retry:matching" { "Retry all" } " "
                        button type="submit" name="bulk" value="cancel:matching" { "Cancel all" } " "
                        button type="submit" name="bulk" value="delete:matching" { "Delete all" }
                    }
                }
            } @else {
                (rows_table(&ctx, &page.rows, false))
            }
            p.pages {
                @if after.is_some() { a href=(list_link(&ctx, &keep)) { "First page" } " " }
                @if let Some(next) = next { a rel="next" href=(next) { "Next page" } }
            }
        },
    ))
}

/// Where a text search stopped examining rows, and the link that searches the older ones.
fn scan_notice(stop: ScanStop, continued: bool, short_page: bool, next: &str) -> Markup {
    let rows = thousands(stop.rows);
    let which = if continued {
        format!("the next {rows} rows")
    } else {
        format!("the newest {rows} rows")
    };
    let created = stop
        .created_at()
        .map(|t| format!(", created {}", time(t)))
        .unwrap_or_default();
    html! {
        p.notice #scan-stopped {
            @if short_page { "No more matches in " (which) } @else { "Searched " (which) }
            " (down to command " code { (stop.last_id) } (created) "); older rows were not searched. "
            a.scan-next href=(next) { "Search older rows →" }
        }
    }
}

/// `n` with a comma between thousands: 100,000.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn hidden_filter(f: &Filter) -> Markup {
    html! {
        @for (k, v) in &f.fields { input type="hidden" name=(k) value=(v); }
    }
}

fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn rows_table(ctx: &Ctx, rows: &[CommandRecord], checkboxes: bool) -> Markup {
    html! {
        table.commands {
            tr {
                @if checkboxes { th { span.muted { "select" } } }
                th { "Id" } th { "Name" } th { "Target" } th { "State" } th { "Attempt" }
                th { "Scheduled" } th { "Last error" }
            }
            @for c in rows {
                tr {
                    @if checkboxes {
                        td { input type="checkbox" name="sel" value=(c.id) aria-label="select"; }
                    }
                    td { a href=(command_link(ctx, c.id)) { code { (c.id) } } }
                    td { (c.name) }
                    td { (c.target) }
                    td.(format!("state-{}", c.state())) { (c.state()) }
                    td.num { (c.attempt) }
                    td { (time(c.scheduled_at)) }
                    td.error { (short(c.last_error.as_deref().unwrap_or(""), 120)) }
                }
            }
        }
    }
}

/// What a bulk form asks for.
#[derive(Clone, Copy)]
enum Verb {
    Retry,
    Cancel,
    Delete,
}

impl Verb {
    fn word(self) -> &'static str {
        match self {
            Verb::Retry => "retry",
            Verb::Cancel => "cancel",
            Verb::Delete => "delete",
        }
    }

    /// Which commands of the selection it acts on; the others are skipped.
    fn rule(self) -> &'static str {
        match self {
            Verb::Retry => "Only failed or canceled commands are retried; the others are skipped.",
            Verb::Cancel => "Only unfinished commands are canceled; finished ones are skipped.",
            Verb::Delete => {
                "Commands a live lease holds and workflow steps other steps depend on are kept and counted as skipped."
            }
        }
    }
}

/// `POST /commands/bulk`: without `confirm=yes`, the confirmation page; with it, the action
/// and its result page.
async fn bulk(State(app): Shared, Extension(ctx): Extension<Ctx>, body: Bytes) -> Page {
    let pairs: Pairs = pairs_of(&ctx, &body)?
        .into_iter()
        .filter(|(k, _)| k != CSRF)
        .collect();
    let f = read_filter(&ctx, &pairs, &["bulk", "sel", "confirm"])?;
    let op = one(&ctx, &pairs, "bulk")?.unwrap_or_default();
    let (verb, matching) = match op.as_str() {
        "retry:selected" => (Verb::Retry, false),
        "cancel:selected" => (Verb::Cancel, false),
        "delete:selected" => (Verb::Delete, false),
        "retry:matching" => (Verb::Retry, true),
        "cancel:matching" => (Verb::Cancel, true),
        "delete:matching" => (Verb::Delete, true),
        _ => {
            return Err(bad_request(
                &ctx,
                "bulk must be retry, cancel or delete, then :selected or :matching",
            ));
        }
    };
    let selection = if matching {
        Selection::Matching(f.filter.clone())
    } else {
        let mut ids = Vec::new();
        for (_, v) in pairs.iter().filter(|(k, _)| k == "sel") {
            let id = parse_id(&ctx, "a selected id", v)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(bad_request(&ctx, "select at least one command"));
        }
        if ids.len() > SEARCH_LIMIT_MAX {
            return Err(bad_request(
                &ctx,
                &format!("select at most {SEARCH_LIMIT_MAX} commands"),
            ));
        }
        Selection::Ids(ids)
    };
    let back = list_link(&ctx, &f.field_refs());
    let confirmed = match one(&ctx, &pairs, "confirm")?.as_deref() {
        None => false,
        Some("yes") => true,
        Some(_) => return Err(bad_request(&ctx, "confirm must be yes")),
    };
    let admin = app.client.admin();
    if !confirmed {
        let (count, capped) = match &selection {
            Selection::Ids(ids) => (ids.len() as u64, false),
            Selection::Matching(filter) => count_matching(&app, filter)
                .await
                .map_err(|e| store(&ctx, &e))?,
        };
        let how_many = if capped {
            format!("more than {COUNT_CAP} commands")
        } else if count == 1 {
            "1 command".to_owned()
        } else {
            format!("{count} commands")
        };
        let scope = if matching {
            if f.fields.is_empty() {
                "every command (no filter is set)".to_owned()
            } else {
                let described: Vec<String> =
                    f.fields.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("every command matching {}", described.join(", "))
            }
        } else {
            "the selected commands".to_owned()
        };
        let title = format!("Confirm {}", verb.word());
        return Ok(html_page(
            &ctx,
            &title,
            html! {
                h1 { "Confirm: " (verb.word()) " " span #concerns { (how_many) } }
                p { "This will " (verb.word()) " " (scope) "." }
                p.muted { (verb.rule()) }
                @if matching {
                    p.muted { "Commands are matched again when the action runs: ones that match by then are included." }
                    @if f.filter.text.is_some() {
                        p.muted #whole-table {
                            "The text is matched against every row of the table, not only the newest "
                            (thousands(SEARCH_SCAN_DEFAULT)) " the list searches a page: counting and acting read the whole table."
                        }
                    }
                }
                form method="post" action=(ctx.link("/commands/bulk")) {
                    input type="hidden" name=(CSRF) value=(ctx.csrf);
                    input type="hidden" name="bulk" value=(op);
                    input type="hidden" name="confirm" value="yes";
                    (hidden_filter(&f))
                    @if let Selection::Ids(ids) = &selection {
                        @for id in ids { input type="hidden" name="sel" value=(id); }
                    }
                    button type="submit" { "Yes, " (verb.word()) " " (how_many) }
                    " "
                    a href=(back) { "No, back to the list" }
                }
            },
        ));
    }
    let report: BulkReport = match verb {
        Verb::Retry => admin.retry_all(&selection).await,
        Verb::Cancel => admin.cancel_all(&selection).await,
        Verb::Delete => admin.delete_all(&selection).await,
    }
    .map_err(|e| store(&ctx, &e))?;
    let title = format!("Bulk {} done", verb.word());
    Ok(html_page(
        &ctx,
        &title,
        html! {
            h1 { (title) }
            p { "Changed: " strong #changed { (report.changed) } " · Skipped: " strong #skipped { (report.skipped) } }
            p.muted { (verb.rule()) }
            p { a href=(back) { "Back to the list" } }
        },
    ))
}

/// How many commands `filter` matches, counting at most [`COUNT_CAP`] (true when it stopped).
async fn count_matching(
    app: &AppState,
    filter: &SearchFilter,
) -> orchestratum::Result<(u64, bool)> {
    let admin = app.client.admin();
    let mut count = 0u64;
    let mut after = None;
    loop {
        let page = admin.search(filter, after, SEARCH_LIMIT_MAX).await?;
        count += page.rows.len() as u64;
        if count > COUNT_CAP {
            return Ok((COUNT_CAP, true));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok((count, false)),
        }
    }
}
