//! Output: aligned tables for people, JSON for machines. Nothing here talks to the database.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use orchestratum::CommandRecord;
use serde_json::{Value, json};

use crate::duration::human;

/// A table printed with aligned columns; numbers are right-aligned.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new<const N: usize>(headers: [&str; N]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// A table with headers computed at run time.
    pub fn with_headers(headers: impl IntoIterator<Item = String>) -> Self {
        Self {
            headers: headers.into_iter().collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as headers).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, no trailing spaces.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .chain(std::iter::once(&self.headers[i]))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..self.headers.len())
            .map(|i| {
                !self.rows.is_empty()
                    && self
                        .rows
                        .iter()
                        .filter_map(|r| r.get(i))
                        .all(|c| c.parse::<i64>().is_ok())
            })
            .collect();
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                if i > 0 {
                    out.push_str("  ");
                }
                if numeric[i] {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                }
            }
            out.trim_end().to_owned()
        };
        let mut out = line(&self.headers);
        for r in &self.rows {
            out.push('\n');
            out.push_str(&line(r));
        }
        out
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// An instant for people: `2026-11-28 02:04:03`, UTC.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An optional instant for people; `-` when absent.
pub fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), time)
}

/// An instant for machines: RFC 3339 with milliseconds.
pub fn json_time(t: DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn json_opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, json_time)
}

/// Stored JSON text as a JSON value; text that does not parse is kept as a string.
fn stored_json(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned())),
    }
}

/// Seconds as a JSON number.
pub fn json_secs(d: Duration) -> Value {
    json!(d.as_secs_f64())
}

/// Every column of a record, plus its state and status, as JSON.
pub fn record_json(r: &CommandRecord) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "target": r.target,
        "state": r.state().as_str(),
        "status": r.status().map(|s| format!("{s:?}")),
        "input": stored_json(r.input.as_deref()),
        "output": stored_json(r.output.as_deref()),
        "scheduled_at": json_time(r.scheduled_at),
        "timeout_seconds": json_secs(r.timeout),
        "is_running": r.is_running,
        "running_at": json_opt_time(r.running_at),
        "run_expires_at": json_opt_time(r.run_expires_at),
        "is_completed": r.is_completed,
        "completed_at": json_opt_time(r.completed_at),
        "is_canceled": r.is_canceled,
        "canceled_at": json_opt_time(r.canceled_at),
        "retries_left": r.retries_left,
        "is_failed": r.is_failed,
        "failed_at": json_opt_time(r.failed_at),
        "attempt": r.attempt,
        "last_error": r.last_error,
        "last_outcome": r.last_outcome.map(|k| k.as_str()),
        "parent_id": r.parent_id,
        "cancel_requested_at": json_opt_time(r.cancel_requested_at),
        "priority": r.priority,
        "unique_key": r.unique_key,
        "unique_over": r.unique_over.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "workflow_id": r.workflow_id,
        "read_at": json_time(r.read_at),
    })
}

/// A stored `retries_left` as what is true: a command that failed for good stores -1.
pub fn retries_left(n: i32) -> String {
    if n < 0 {
        "0 (no retries left)".to_owned()
    } else {
        n.to_string()
    }
}

/// The columns `list` shows, one row per record.
pub fn records_table(records: &[CommandRecord]) -> Table {
    let mut table = Table::new([
        "ID",
        "NAME",
        "TARGET",
        "STATE",
        "ATTEMPT",
        "RETRIES_LEFT",
        "PRIORITY",
        "SCHEDULED_AT",
        "UNIQUE_KEY",
    ]);
    for r in records {
        table.row(vec![
            r.id.to_string(),
            r.name.clone(),
            r.target.clone(),
            r.state().as_str().to_owned(),
            r.attempt.to_string(),
            // A failed-for-good row stores -1: the table says what is true.
            r.retries_left.max(0).to_string(),
            r.priority.to_string(),
            time(r.scheduled_at),
            r.unique_key.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    table
}

/// Pretty JSON of stored JSON text, indented for `show`; `-` when absent.
pub fn pretty_stored(text: Option<&str>) -> String {
    match stored_json(text) {
        Value::Null if text.is_none() => "-".to_owned(),
        v => serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()),
    }
}

/// A duration for people.
pub fn duration(d: Duration) -> String {
    human(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_and_right_aligns_numbers() {
        let mut t = Table::new(["NAME", "COUNT"]);
        t.row(vec!["a".into(), "5".into()]);
        t.row(vec!["longer".into(), "12".into()]);
        assert_eq!(t.render(), "NAME    COUNT\na           5\nlonger     12");
    }
}
