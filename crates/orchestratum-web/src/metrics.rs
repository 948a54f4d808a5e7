//! `GET /metrics`: the queue's gauges in Prometheus text format, from the overview's reads (the
//! unfinished commands counted through their index, the table's row estimate; decision 0019)
//! and one read of the stats table, then whatever the application's exporter renders.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use orchestratum::admin::Overview;
use orchestratum::{State as CommandState, StatsBucket, StatsOutcome};

use crate::AppState;
use crate::error::status;

/// The content type Prometheus scrapes (text exposition format 0.0.4).
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`. A database error answers its status with the error as plain text, so a
/// scrape fails visibly rather than reporting zeros.
pub(crate) async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let now = Utc::now();
    // The last whole minute: the current one is still being counted.
    let last = now.timestamp().div_euclid(60) - 1;
    let since = chrono::DateTime::from_timestamp(last * 60, 0).unwrap_or(now);
    let read = async {
        let summary = app.client.admin().overview(0, None).await?;
        let stats = app.client.stats(since, None).await?;
        Ok::<_, orchestratum::Error>((summary, stats))
    };
    let mut text = match read.await {
        Ok((summary, stats)) => {
            let last_minute: Vec<&StatsBucket> = stats
                .iter()
                .filter(|b| b.minute.timestamp().div_euclid(60) == last)
                .collect();
            render(&summary, &last_minute)
        }
        Err(e) => {
            let (code, _) = status(&e);
            return (
                code,
                [
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                format!("orchestratum metrics unavailable: {e}\n"),
            )
                .into_response();
        }
    };
    if let Some(extra) = &app.options.metrics {
        let more = extra();
        if !more.is_empty() {
            text.push_str(&more);
            if !more.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// A label value as the exposition format wants it: backslash, double quote and line feed
/// escaped.
pub(crate) fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// The unfinished states: the ones the gauges count exactly.
fn unfinished_states() -> impl Iterator<Item = CommandState> {
    CommandState::ALL.into_iter().filter(|s| !s.is_terminal())
}

/// The gauges of an overview (no finished window) and of the last minute's buckets.
fn render(summary: &Overview, last_minute: &[&StatsBucket]) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "orchestratum_queue_commands",
        "Unfinished commands in the table by state (exact; finished outcomes are in orchestratum_stats_last_minute_outcomes).",
    );
    for s in unfinished_states() {
        let _ = writeln!(
            out,
            "orchestratum_queue_commands{{state=\"{}\"}} {}",
            s.as_str(),
            summary.by_state.unfinished.get(s)
        );
    }
    family(
        &mut out,
        "orchestratum_queue_commands_by_name",
        "Unfinished commands in the table by command name and state (exact).",
    );
    for (name, counts) in &summary.by_name {
        for s in unfinished_states() {
            let _ = writeln!(
                out,
                "orchestratum_queue_commands_by_name{{name=\"{}\",state=\"{}\"}} {}",
                label(name),
                s.as_str(),
                counts.unfinished.get(s)
            );
        }
    }
    family(
        &mut out,
        "orchestratum_queue_rows_estimate",
        "Rows in the commands table, finished ones included: the database's estimate, not a count (PostgreSQL planner statistics, InnoDB TABLE_ROWS; exact on SQLite).",
    );
    let _ = writeln!(out, "orchestratum_queue_rows_estimate {}", summary.rows.n);
    family(
        &mut out,
        "orchestratum_queue_oldest_pending_age_seconds",
        "How long the longest-waiting pending command has been due (0 when none is).",
    );
    let age = summary.oldest_pending_age.map_or(0.0, |d| d.as_secs_f64());
    let _ = writeln!(
        out,
        "orchestratum_queue_oldest_pending_age_seconds {age:.3}"
    );
    family(
        &mut out,
        "orchestratum_queue_lapsed_leases",
        "Unfinished commands marked running whose lease lapsed.",
    );
    let _ = writeln!(
        out,
        "orchestratum_queue_lapsed_leases {}",
        summary.expired_leases
    );
    family(
        &mut out,
        "orchestratum_queue_paused_names",
        "Command names paused on every instance.",
    );
    let paused = summary.controls.iter().filter(|c| c.paused).count();
    let _ = writeln!(out, "orchestratum_queue_paused_names {paused}");
    family(
        &mut out,
        "orchestratum_stats_last_minute_outcomes",
        "Outcomes of the last whole minute by command name, from the stats table (every instance's, as flushed).",
    );
    let mut names: Vec<&str> = last_minute.iter().map(|b| b.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        for o in StatsOutcome::ALL {
            let n: u64 = last_minute
                .iter()
                .filter(|b| b.name == name && b.outcome == o)
                .map(|b| b.count)
                .sum();
            let _ = writeln!(
                out,
                "orchestratum_stats_last_minute_outcomes{{name=\"{}\",outcome=\"{}\"}} {n}",
                label(name),
                o.as_str()
            );
        }
    }
    out
}
