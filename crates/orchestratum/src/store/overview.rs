//! The dashboard's overview (decision 0019): exact counts of the unfinished commands, read
//! through an index that holds only them, and no exact count of the finished ones, which
//! would scan the table. The finished numbers are the database's row estimate and the
//! outcomes the per-minute stats counted over a window. Each number says which it is.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Executor, IntoArguments, SqlStr, Type};

use super::rows::{self, Columns};
use super::{Control, QueueSummary, StateCounts, Store};
use crate::error::{Error, Result};
use crate::record::{CommandRecord, State};
use crate::stats::StatsOutcome;

/// How a number of the [`Overview`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accuracy {
    /// Counted from the commands table as it is now.
    Exact,
    /// The database's estimate (PostgreSQL planner statistics, InnoDB's `TABLE_ROWS`).
    Estimated,
    /// Outcomes the per-minute stats counted over the overview's window (survives pruning;
    /// a row retried into a state again counts again).
    Windowed,
}

impl Accuracy {
    /// `exact`, `estimated` or `windowed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Accuracy::Exact => "exact",
            Accuracy::Estimated => "estimated",
            Accuracy::Windowed => "windowed",
        }
    }
}

/// A number and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The number.
    pub n: i64,
    /// Exact, estimated or windowed.
    pub accuracy: Accuracy,
}

/// The counts of one group (everything, a name or a target) by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverviewCounts {
    /// Exact counts of the unfinished states (pending, scheduled, waiting, running; the
    /// finished states are 0 here).
    pub unfinished: StateCounts,
    /// Outcomes in the window by final state (completed, failed, canceled), from the stats
    /// table; `None` when no window was asked for, or for a target (stats have no target).
    pub finished: Option<StateCounts>,
}

impl OverviewCounts {
    /// The count of `state`, marked exact or windowed; `None` for a finished state without
    /// a windowed count.
    pub fn get(&self, state: State) -> Option<Count> {
        if state.is_terminal() {
            self.finished.map(|f| Count {
                n: f.get(state),
                accuracy: Accuracy::Windowed,
            })
        } else {
            Some(Count {
                n: self.unfinished.get(state),
                accuracy: Accuracy::Exact,
            })
        }
    }

    /// Unfinished commands, exactly.
    pub fn unfinished_total(&self) -> i64 {
        self.unfinished.total()
    }
}

/// The queue at a glance without a scan of the finished rows (see [`crate::admin::Admin::overview`]).
#[derive(Debug, Clone)]
pub struct Overview {
    /// Counts by state.
    pub by_state: OverviewCounts,
    /// Counts by command name: names with unfinished commands or outcomes in the window.
    pub by_name: BTreeMap<String, OverviewCounts>,
    /// Counts by target (unfinished only: `finished` is always `None`).
    pub by_target: BTreeMap<String, OverviewCounts>,
    /// Rows in the commands table: an estimate on PostgreSQL and MySQL, exact on SQLite.
    pub rows: Count,
    /// The first minute of the finished counts' window, when one was asked for.
    pub finished_since: Option<DateTime<Utc>>,
    /// How long the longest-waiting pending command has been due (exact).
    pub oldest_pending_age: Option<Duration>,
    /// Unfinished commands marked running under a lapsed lease (counted as pending).
    pub expired_leases: i64,
    /// The first of them, longest lapsed first.
    pub expired: Vec<CommandRecord>,
    /// The flow-control rows (paused names, recorded fleet limits), by name.
    pub controls: Vec<Control>,
}

/// A row of `finished_since.sql`: outcomes of one name and kind in the window.
pub(crate) struct FinishedRow {
    name: String,
    outcome: StatsOutcome,
    n: i64,
}

pub(crate) fn finished_row(r: &impl Columns) -> Result<FinishedRow> {
    let outcome = r.text("outcome")?;
    Ok(FinishedRow {
        name: r.text("name")?,
        outcome: StatsOutcome::parse(&outcome).ok_or_else(|| Error::Corrupt {
            column: "outcome",
            reason: format!("unknown outcome {outcome:?}"),
        })?,
        n: r.big("n")?,
    })
}

/// The overview's reads besides the unfinished counts, on any backend: the table's rows
/// (`table_rows.sql`, whose number is `accuracy`) and, from `minute` on, the window's outcomes
/// (`finished_since.sql`).
pub(crate) async fn counts<DB>(
    conn: &mut DB::Connection,
    table_rows: &SqlStr,
    accuracy: Accuracy,
    finished_since: &SqlStr,
    minute: Option<i64>,
    named: bool,
) -> Result<(Count, Option<Vec<FinishedRow>>)>
where
    DB: Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB>,
    DB::Row: Columns,
{
    let row = sqlx::query::<DB>(table_rows.clone())
        .persistent(named)
        .fetch_one(&mut *conn)
        .await?;
    let total = Count {
        n: row.big("n")?,
        accuracy,
    };
    let finished = match minute {
        Some(minute) => {
            let found = sqlx::query::<DB>(finished_since.clone())
                .persistent(named)
                .bind(minute)
                .fetch_all(&mut *conn)
                .await?;
            Some(rows::all(&found, finished_row)?)
        }
        None => None,
    };
    Ok((total, finished))
}

/// The final state an outcome ends in; a retry ends in none.
fn final_state(outcome: StatsOutcome) -> Option<State> {
    match outcome {
        StatsOutcome::Completed => Some(State::Completed),
        StatsOutcome::Failed => Some(State::Failed),
        StatsOutcome::Canceled => Some(State::Canceled),
        StatsOutcome::Retried => None,
    }
}

fn unfinished_only(counts: StateCounts) -> OverviewCounts {
    OverviewCounts {
        unfinished: counts,
        finished: None,
    }
}

impl Overview {
    /// Builds the overview from the unfinished groups (a summary of the unfinished rows only)
    /// and, when a window was asked for, its outcomes.
    fn new(
        unfinished: QueueSummary,
        finished: Option<(DateTime<Utc>, Vec<FinishedRow>)>,
        rows: Count,
    ) -> Self {
        let mut by_state = unfinished_only(unfinished.by_state);
        let mut by_name: BTreeMap<String, OverviewCounts> = unfinished
            .by_name
            .into_iter()
            .map(|(k, v)| (k, unfinished_only(v)))
            .collect();
        let finished_since = finished.as_ref().map(|(since, _)| *since);
        if let Some((_, rows)) = finished {
            by_state.finished = Some(StateCounts::default());
            for counts in by_name.values_mut() {
                counts.finished = Some(StateCounts::default());
            }
            for row in rows {
                let Some(state) = final_state(row.outcome) else {
                    continue;
                };
                if let Some(f) = by_state.finished.as_mut() {
                    f.add(state, row.n);
                }
                by_name
                    .entry(row.name)
                    .or_default()
                    .finished
                    .get_or_insert_with(StateCounts::default)
                    .add(state, row.n);
            }
        }
        Self {
            by_state,
            by_name,
            by_target: unfinished
                .by_target
                .into_iter()
                .map(|(k, v)| (k, unfinished_only(v)))
                .collect(),
            rows,
            finished_since,
            oldest_pending_age: unfinished.oldest_pending_age,
            expired_leases: unfinished.expired_leases,
            expired: unfinished.expired,
            controls: unfinished.controls,
        }
    }
}

impl Store {
    /// The overview: unfinished counts by state, name and target (up to `expired_limit`
    /// lapsed leases listed), the table's row estimate, and the outcomes counted from the
    /// minute holding `finished_since` on, when given.
    pub async fn overview(
        &self,
        expired_limit: usize,
        finished_since: Option<DateTime<Utc>>,
    ) -> Result<Overview> {
        let unfinished = dispatch!(self, s => s.overview_unfinished(expired_limit).await)?;
        let minute = finished_since.map(|since| since.timestamp().div_euclid(60));
        let (rows, finished) = dispatch!(self, s => s.overview_counts(minute).await)?;
        let finished = finished.map(|found| {
            let start = minute
                .and_then(|m| DateTime::from_timestamp(m * 60, 0))
                .unwrap_or_default();
            (start, found)
        });
        let mut overview = Overview::new(unfinished, finished, rows);
        overview.controls = self.controls().await?;
        Ok(overview)
    }
}
