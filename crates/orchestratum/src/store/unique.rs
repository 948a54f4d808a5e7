//! Unique pushes, shared by every backend: what each row of a push became, from the ids the
//! insert reports and the holders of the keys read back afterwards.
//!
//! The unique index alone decides (the insert skips a row whose key is held); reading the
//! holders back only tells the caller whose id to return. A holder can finish between the
//! insert and the read: its row is then pushed again, a bounded number of times.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::push::{NewCommand, Pushed};

/// How many times a row whose key's holder vanished is pushed again before giving up.
pub(crate) const ROUNDS: usize = 8;

/// The rows of one push and what each became so far.
pub(crate) struct Settle<'a> {
    rows: &'a [NewCommand],
    out: Vec<Option<Pushed>>,
}

impl<'a> Settle<'a> {
    /// Starts from the ids known inserted. A row without a key that was not inserted hit the
    /// primary key: its id is not fresh.
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    pub(crate) fn new(rows: &'a [NewCommand], inserted: &[Uuid]) -> Result<Self> {
        let inserted: HashSet<Uuid> = inserted.iter().copied().collect();
        let out = rows
            .iter()
            .map(|r| {
                if inserted.contains(&r.id) {
                    Ok(Some(Pushed::Inserted(r.id)))
                } else if r.unique_key.is_none() {
                    Err(Error::Corrupt {
                        column: "id",
                        reason: format!("command id {} already exists", r.id),
                    })
                } else {
                    Ok(None)
                }
            })
            .collect::<Result<_>>()?;
        Ok(Self { rows, out })
    }

    /// Starts knowing only that rows without a key were inserted (MySQL reports no ids).
    #[cfg(feature = "mysql")]
    pub(crate) fn keyed_unknown(rows: &'a [NewCommand]) -> Self {
        let out = rows
            .iter()
            .map(|r| r.unique_key.is_none().then_some(Pushed::Inserted(r.id)))
            .collect();
        Self { rows, out }
    }

    /// Whether every row is settled.
    #[cfg(feature = "mysql")]
    pub(crate) fn is_done(&self) -> bool {
        self.out.iter().all(Option::is_some)
    }

    /// The distinct keys of the rows not settled yet.
    pub(crate) fn open_keys(&self) -> Vec<&'a str> {
        let mut seen = HashSet::new();
        self.rows
            .iter()
            .zip(&self.out)
            .filter(|(_, o)| o.is_none())
            .filter_map(|(r, _)| r.unique_key.as_deref())
            .filter(|k| seen.insert(*k))
            .collect()
    }

    /// Settles the open rows whose key has a holder (the row itself: inserted; another:
    /// duplicate); returns the rest, whose holder vanished, to push again.
    pub(crate) fn apply(&mut self, holders: &HashMap<String, Uuid>) -> Vec<NewCommand> {
        let mut again = Vec::new();
        for (r, o) in self.rows.iter().zip(self.out.iter_mut()) {
            if o.is_some() {
                continue;
            }
            match r.unique_key.as_ref().and_then(|k| holders.get(k)) {
                Some(&holder) if holder == r.id => *o = Some(Pushed::Inserted(r.id)),
                Some(&holder) => *o = Some(Pushed::Duplicate(holder)),
                None => again.push(r.clone()),
            }
        }
        again
    }

    /// Marks rows pushed again as inserted.
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    pub(crate) fn inserted(&mut self, ids: &[Uuid]) {
        for (r, o) in self.rows.iter().zip(self.out.iter_mut()) {
            if o.is_none() && ids.contains(&r.id) {
                *o = Some(Pushed::Inserted(r.id));
            }
        }
    }

    /// What every row became; an error if a key kept changing hands for [`ROUNDS`] rounds.
    pub(crate) fn finish(self) -> Result<Vec<Pushed>> {
        self.rows
            .iter()
            .zip(self.out)
            .map(|(r, o)| {
                o.ok_or_else(|| Error::UniqueKeyContended {
                    key: r.unique_key.clone().unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Every row inserted.
pub(crate) fn all_inserted(rows: &[NewCommand]) -> Vec<Pushed> {
    rows.iter().map(|r| Pushed::Inserted(r.id)).collect()
}

/// True when the database refused a write because a unique index would be violated.
pub(crate) fn is_unique_violation(error: &Error) -> bool {
    match error {
        Error::Database(sqlx::Error::Database(db)) => db.is_unique_violation(),
        _ => false,
    }
}
