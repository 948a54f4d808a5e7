//! The operators' search and deletion, behind a dashboard's commands pages and the CLI's
//! `list --after`, `delete` and bulk `retry|cancel|delete`: a keyset-paged search newest id
//! first (ids are UUIDv7, so that is creation order and the primary key serves it), and the
//! deletion of one command under the rules that keep the queue consistent.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Store;
use crate::error::{Error, Result};
use crate::record::{CommandRecord, State};

/// Most rows one search page (and one batch of a bulk action) holds.
pub const SEARCH_LIMIT_MAX: usize = 1000;

/// Rows one page of a text search examines unless [`SearchFilter::scan_budget`] says otherwise.
pub const SEARCH_SCAN_DEFAULT: usize = 100_000;

/// Most rows one page of a text search may examine ([`SearchFilter::scan_budget`]).
pub const SEARCH_SCAN_MAX: usize = 10_000_000;

/// The rows of a text search's first window: a text in a few percent of the rows fills a
/// page of 50 there, after a walk of this many primary-key entries rather than the budget's.
const FIRST_WINDOW: usize = 1_000;

/// Filters of `search`; `None` means any. Every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only commands in this state (as `CommandRecord::state()` derives it).
    pub state: Option<State>,
    /// Only commands with this name, exactly.
    pub name: Option<String>,
    /// Only commands routed to this target, exactly.
    pub target: Option<String>,
    /// Only commands whose `scheduled_at` is at or after this.
    pub scheduled_from: Option<DateTime<Utc>>,
    /// Only commands whose `scheduled_at` is before this.
    pub scheduled_until: Option<DateTime<Utc>>,
    /// Only commands created at or after this (read from the UUIDv7 id, to the millisecond;
    /// ids of another version carry no time and fall where their bits say).
    pub created_from: Option<DateTime<Utc>>,
    /// Only commands created before this (as `created_from`).
    pub created_until: Option<DateTime<Utc>>,
    /// Only the command with this id.
    pub id: Option<Uuid>,
    /// Only commands whose input or last error contains this text, literally (`%` and `_`
    /// are not wildcards), ignoring ASCII case.
    pub text: Option<String>,
    /// With `text` (and no `id`): most rows one page examines, newest id first, of the rows
    /// the id bounds leave (created range, cursor) whatever the other filters say; `None` is
    /// [`SEARCH_SCAN_DEFAULT`], at most [`SEARCH_SCAN_MAX`]. A page that examined them all
    /// before the range ended says so ([`Page::scan_stopped`]) and its cursor continues below
    /// the last row examined. `LIKE '%text%'` has no index, so this bounds each page's cost.
    pub scan_budget: Option<usize>,
}

/// Where a search page ends: pass it back to get the next page. Opaque: print it with
/// `Display`, read it back with `FromStr` (a damaged one is `Error::InvalidCursor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor(Uuid);

/// The version tag of the cursor encoding, so a later encoding can tell old cursors apart.
const CURSOR_TAG: &str = "k1";

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The id's bits reversed and in hex: opaque enough that no one parses it as an id.
        write!(f, "{CURSOR_TAG}{:032x}", self.0.as_u128().reverse_bits())
    }
}

impl FromStr for Cursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::InvalidCursor(s.chars().take(80).collect());
        let hex = s.strip_prefix(CURSOR_TAG).ok_or_else(bad)?;
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let bits = u128::from_str_radix(hex, 16).map_err(|_| bad())?;
        Ok(Cursor(Uuid::from_u128(bits.reverse_bits())))
    }
}

/// One page of a search, newest id first.
#[derive(Debug, Clone)]
pub struct Page {
    /// The rows, newest id first.
    pub rows: Vec<CommandRecord>,
    /// The cursor of the next page; `None` on the last one.
    pub next: Option<Cursor>,
    /// Set when a text search examined its budget of rows before the filter's range ended:
    /// older rows were not searched, and `next` continues below the last row examined.
    pub scan_stopped: Option<ScanStop>,
}

/// Where a text search page stopped examining rows ([`SearchFilter::scan_budget`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanStop {
    /// The rows it examined (the budget).
    pub rows: usize,
    /// The last (oldest) row it examined; rows with smaller ids were not searched.
    pub last_id: Uuid,
}

impl ScanStop {
    /// When the last row examined was created (its UUIDv7 time; `None` for other versions).
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        let (secs, nanos) = self.last_id.get_timestamp()?.to_unix();
        DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
    }
}

/// The commands a bulk action applies to.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These commands (unknown ids are skipped).
    Ids(Vec<Uuid>),
    /// Every command matching the filter when the action reaches it.
    Matching(SearchFilter),
}

/// What a bulk action did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Rows the action changed (retried, asked to cancel or canceled, deleted).
    pub changed: u64,
    /// Rows selected that it left alone: unknown, in a state the action does not accept, or
    /// (for a delete) refused.
    pub skipped: u64,
}

/// Why a command is not deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteRefusal {
    /// A worker holds it under a live lease: it runs now, and its outcome would have no row.
    Running,
    /// It is a workflow step that unfinished steps wait for: they would never be released,
    /// or would read no output from it.
    WaitedOn(i64),
    /// It is an unfinished workflow step waiting for unfinished parents: their ends would be
    /// counted in a row that no longer exists.
    WaitingOn(i64),
}

impl fmt::Display for DeleteRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeleteRefusal::Running => {
                f.write_str("it runs under a live lease; cancel it and delete it once it ends")
            }
            DeleteRefusal::WaitedOn(n) => write!(
                f,
                "{n} unfinished workflow step(s) wait for it; cancel its workflow first"
            ),
            DeleteRefusal::WaitingOn(n) => write!(
                f,
                "it is a workflow step waiting for {n} unfinished parent(s); cancel its \
                 workflow first"
            ),
        }
    }
}

/// What the backend's deletion check read of one command (its row locked).
pub(crate) struct DeleteCheck {
    /// A live lease holds it.
    pub running: bool,
    /// Unfinished steps waiting for it.
    pub waited_on: i64,
    /// Unfinished parents it waits for, when it is unfinished itself (0 otherwise).
    pub waiting_on: i64,
}

impl DeleteCheck {
    /// The deletion rule, shared by every backend.
    pub(crate) fn refusal(&self) -> Option<DeleteRefusal> {
        if self.running {
            Some(DeleteRefusal::Running)
        } else if self.waited_on > 0 {
            Some(DeleteRefusal::WaitedOn(self.waited_on))
        } else if self.waiting_on > 0 {
            Some(DeleteRefusal::WaitingOn(self.waiting_on))
        } else {
            None
        }
    }
}

/// What the store's `delete` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The row (with its attempts and workflow rows) is gone.
    Deleted,
    /// No command has this id.
    NotFound,
    /// The row is kept, for this reason.
    Refused(DeleteRefusal),
}

/// The bound values of `search`, shared by every backend.
pub(crate) struct SearchBinds<'a> {
    pub state: Option<&'static str>,
    pub name: Option<&'a str>,
    pub target: Option<&'a str>,
    pub scheduled_from: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
    /// The smallest UUIDv7 of `created_from`'s millisecond.
    pub id_from: Option<Uuid>,
    /// The smallest UUIDv7 of `created_until`'s millisecond.
    pub id_until: Option<Uuid>,
    pub id: Option<Uuid>,
    /// `%text%` with `!`, `%` and `_` escaped by `!` (the statements say `ESCAPE '!'`).
    pub pattern: Option<String>,
    pub after: Option<Uuid>,
    /// One more row than the page holds, to tell whether another page follows.
    pub fetch: i64,
    /// The scan budget of a text search (`None`: no budget).
    scan: Option<usize>,
}

/// The smallest UUIDv7 of the millisecond `t` falls in; ids compare in time order.
fn id_bound(t: DateTime<Utc>, which: &str) -> Result<Uuid> {
    let ms = u64::try_from(t.timestamp_millis())
        .ok()
        .filter(|ms| *ms < 1 << 48)
        .ok_or_else(|| {
            Error::InvalidFilter(format!(
                "{which} {t} is outside the range UUIDv7 ids can hold (1970 to 10889)"
            ))
        })?;
    Ok(Uuid::from_u128(u128::from(ms) << 80))
}

/// `text` as a LIKE pattern that matches it literally anywhere, escaped with `!`.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '!' | '%' | '_') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl SearchFilter {
    pub(crate) fn binds(&self, after: Option<Cursor>, limit: usize) -> Result<SearchBinds<'_>> {
        if limit == 0 || limit > SEARCH_LIMIT_MAX {
            return Err(Error::InvalidFilter(format!(
                "a page holds 1 to {SEARCH_LIMIT_MAX} rows, not {limit}"
            )));
        }
        let scan = match (&self.text, self.id) {
            (Some(_), None) => Some(self.scan_budget.unwrap_or(SEARCH_SCAN_DEFAULT)),
            _ => None,
        };
        if let Some(budget) = scan.filter(|b| !(1..=SEARCH_SCAN_MAX).contains(b)) {
            return Err(Error::InvalidFilter(format!(
                "a text search examines 1 to {SEARCH_SCAN_MAX} rows a page, not {budget}"
            )));
        }
        Ok(SearchBinds {
            state: self.state.map(State::as_str),
            name: self.name.as_deref(),
            target: self.target.as_deref(),
            scheduled_from: self.scheduled_from,
            scheduled_until: self.scheduled_until,
            id_from: self
                .created_from
                .map(|t| id_bound(t, "created_from"))
                .transpose()?,
            id_until: self
                .created_until
                .map(|t| id_bound(t, "created_until"))
                .transpose()?,
            id: self.id,
            pattern: self.text.as_deref().map(like_pattern),
            after: after.map(|c| c.0),
            fetch: i64::try_from(limit).unwrap_or(i64::MAX) + 1,
            scan,
        })
    }
}

impl Page {
    /// The page of `limit` rows from `fetched` (which may hold one more, telling that
    /// another page follows), searched down to `stop` when a scan budget bounded it.
    pub(crate) fn of(
        mut fetched: Vec<CommandRecord>,
        limit: usize,
        stop: Option<ScanStop>,
    ) -> Self {
        if fetched.len() > limit {
            // A full page: the next one starts below its last row, inside the scanned rows.
            fetched.truncate(limit);
            let next = fetched.last().map(|r| Cursor(r.id));
            return Page {
                rows: fetched,
                next,
                scan_stopped: None,
            };
        }
        // Every scanned row was read: continue below the last of them, never rescanning.
        Page {
            rows: fetched,
            next: stop.map(|s| Cursor(s.last_id)),
            scan_stopped: stop,
        }
    }
}

impl Store {
    /// At most `limit` (1 to [`SEARCH_LIMIT_MAX`]) commands matching `filter`, newest id
    /// first, after `after` (a cursor of an earlier page), with the next page's cursor.
    pub async fn search(
        &self,
        filter: &SearchFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page> {
        let binds = filter.binds(after, limit)?;
        match binds.scan {
            None => {
                let fetched = dispatch!(self, s => s.search(&binds).await)?;
                Ok(Page::of(fetched, limit, None))
            }
            Some(budget) => self.search_budgeted(binds, limit, budget).await,
        }
    }

    /// A text search page examining at most `budget` rows, in windows of ids growing fourfold
    /// from [`FIRST_WINDOW`]: each window is fixed by id (its last row read off the primary
    /// key) before it is searched, so the next page starts below the last row examined even
    /// when rows are deleted meanwhile, and a frequent text fills its page in the first small
    /// window instead of paying for the whole budget's walk.
    async fn search_budgeted(
        &self,
        mut binds: SearchBinds<'_>,
        limit: usize,
        budget: usize,
    ) -> Result<Page> {
        let range_from = binds.id_from;
        // The window's upper bound (exclusive): below the cursor and the created range.
        let mut upper = match (binds.id_until, binds.after) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let want = usize::try_from(binds.fetch).unwrap_or(usize::MAX);
        let (mut fetched, mut scanned) = (Vec::new(), 0usize);
        let mut window = FIRST_WINDOW.min(budget);
        loop {
            // The window's last row and the one after it, if any (then older rows remain).
            let skip = i64::try_from(window - 1).unwrap_or(i64::MAX);
            let edge = dispatch!(self, s => s.search_edge(range_from, upper, skip).await)?;
            let last = match edge[..] {
                [last, _beyond, ..] => Some(last),
                _ => None,
            };
            binds.id_from = last.or(range_from);
            binds.after = upper;
            binds.fetch = i64::try_from(want - fetched.len()).unwrap_or(i64::MAX);
            fetched.extend(dispatch!(self, s => s.search(&binds).await)?);
            scanned += window;
            let Some(last) = last.filter(|_| fetched.len() < want) else {
                // A full page, or the range's end.
                return Ok(Page::of(fetched, limit, None));
            };
            if scanned >= budget {
                let stop = ScanStop {
                    rows: budget,
                    last_id: last,
                };
                return Ok(Page::of(fetched, limit, Some(stop)));
            }
            upper = Some(last);
            window = window.saturating_mul(4).min(budget - scanned);
        }
    }

    /// Deletes one command with its attempts and workflow rows, unless a live lease holds
    /// it or it is a workflow step that unfinished steps depend on (see [`DeleteRefusal`]).
    /// The check and the delete run in one transaction, the row locked.
    pub async fn delete(&self, id: Uuid) -> Result<Deleted> {
        dispatch!(self, s => s.delete(id).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_typed_errors() {
        let id = Uuid::now_v7();
        let text = Cursor(id).to_string();
        assert!(!text.contains(&id.simple().to_string()), "{text}");
        assert_eq!(text.parse::<Cursor>().unwrap(), Cursor(id));
        let wrong_tag = format!("k2{}", &text[2..]);
        let short = text[..20].to_owned();
        let not_hex = format!("k1{}", "g".repeat(32));
        for bad in [
            "",
            "k1",
            "k1zz",
            &wrong_tag,
            &short,
            &not_hex,
            &id.to_string(),
        ] {
            assert!(
                matches!(bad.parse::<Cursor>(), Err(Error::InvalidCursor(_))),
                "{bad:?} parsed"
            );
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off!"), "%50!%!_off!!%");
        assert_eq!(like_pattern(""), "%%");
    }

    #[test]
    fn id_bounds_order_like_uuidv7_ids() {
        let now = Utc::now();
        let id = Uuid::now_v7();
        let before = id_bound(now - chrono::Duration::seconds(1), "from").unwrap();
        let after = id_bound(now + chrono::Duration::seconds(1), "until").unwrap();
        assert!(before <= id && id < after);
        let ancient = DateTime::<Utc>::from_timestamp(-1, 0).unwrap();
        assert!(matches!(
            id_bound(ancient, "from"),
            Err(Error::InvalidFilter(_))
        ));
    }
}
