//! Batches as JSON arrays for `JSON_TABLE`, split so that no statement outgrows the server's
//! `max_allowed_packet` (16 MiB by default on MariaDB, 64 MiB on MySQL 8, as low as 4 MiB on
//! older servers): a batch the server refuses would be retried, and refused, forever.

use serde::Serialize;
use sqlx::mysql::MySqlArguments;
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, MySql, SqlStr};

use crate::error::{Error, Result};

/// Most bytes of JSON one statement carries, unless a single item is larger (it then goes
/// alone, and the server decides).
const MAX_BATCH_BYTES: usize = 1 << 20;

/// `value` as JSON text.
pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Corrupt {
        column: "batch",
        reason: e.to_string(),
    })
}

/// Room left in a packet for the statement's text and its other parameters.
const PACKET_OVERHEAD: usize = 64 << 10;

/// Refuses `json` when a statement carrying it would not fit a packet of `max_packet` bytes.
pub(super) fn check_size(what: &'static str, json: &str, max_packet: usize) -> Result<()> {
    if json.len() + PACKET_OVERHEAD > max_packet {
        return Err(Error::TooLarge {
            what,
            bytes: json.len(),
            limit: max_packet,
        });
    }
    Ok(())
}

/// `items` split into consecutive runs of at most [`MAX_BATCH_BYTES`] of JSON, each with its
/// JSON array text. No runs for no items.
pub(super) fn chunks<T: Serialize>(items: &[T]) -> Result<Vec<(&[T], String)>> {
    chunks_of(items, MAX_BATCH_BYTES)
}

/// The JSON array texts of [`chunks`].
pub(super) fn json_arrays<T: Serialize>(items: &[T]) -> Result<Vec<String>> {
    Ok(chunks(items)?.into_iter().map(|(_, json)| json).collect())
}

fn chunks_of<T: Serialize>(items: &[T], max_bytes: usize) -> Result<Vec<(&[T], String)>> {
    let mut out = Vec::new();
    let (mut start, mut json) = (0, String::from("["));
    for (i, item) in items.iter().enumerate() {
        let text = to_json(item)?;
        if i > start && json.len() + 1 + text.len() + 1 > max_bytes {
            json.push(']');
            out.push((
                &items[start..i],
                std::mem::replace(&mut json, String::from("[")),
            ));
            start = i;
        }
        if i > start {
            json.push(',');
        }
        json.push_str(&text);
    }
    if start < items.len() {
        json.push(']');
        out.push((&items[start..], json));
    }
    Ok(out)
}

/// Most ids in one list: a prepared statement takes at most 65,535 parameters.
const MAX_IDS: usize = 4096;

/// Ids for a statement's `IN ({ids})` list.
pub(super) struct IdList {
    /// `?, ?, …`: as many as the next power of two at or above the ids' count.
    placeholders: String,
    /// The ids, the last one repeated to fill every placeholder.
    values: Vec<String>,
}

impl IdList {
    /// `sql` with its `{ids}` list filled with placeholders.
    pub fn render(&self, sql: &SqlStr) -> AssertSqlSafe<String> {
        AssertSqlSafe(sql.as_str().replace("{ids}", &self.placeholders))
    }

    /// `query` with the ids bound after the parameters bound before.
    pub fn bind<'q>(
        &'q self,
        mut query: Query<'q, MySql, MySqlArguments>,
    ) -> Query<'q, MySql, MySqlArguments> {
        for id in &self.values {
            query = query.bind(id.as_str());
        }
        query
    }
}

/// `ids` (as text) in lists of at most [`MAX_IDS`], each padded to a power of two so that a
/// handful of statement texts (each prepared once per connection) serve every count. No lists
/// for no ids.
pub(super) fn id_lists(ids: &[String]) -> Vec<IdList> {
    ids.chunks(MAX_IDS)
        .map(|chunk| {
            let size = chunk.len().next_power_of_two();
            let mut values = chunk.to_vec();
            let last = chunk[chunk.len() - 1].clone();
            values.resize(size, last);
            IdList {
                placeholders: vec!["?"; size].join(", "),
                values,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_pad_to_a_power_of_two_and_split_at_the_limit() {
        let ids = |n: usize| (0..n).map(|i| format!("id{i}")).collect::<Vec<_>>();
        assert!(id_lists(&[]).is_empty());
        let five = id_lists(&ids(5));
        assert_eq!(five.len(), 1);
        assert_eq!(five[0].placeholders, "?, ?, ?, ?, ?, ?, ?, ?");
        assert_eq!(five[0].values[..5], ids(5));
        assert_eq!(five[0].values[5..], vec!["id4".to_owned(); 3]);
        let one = id_lists(&ids(1));
        assert_eq!(
            (one[0].placeholders.as_str(), one[0].values.len()),
            ("?", 1)
        );
        let lists = id_lists(&ids(MAX_IDS + 3));
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].values.len(), MAX_IDS);
        assert_eq!(lists[1].values.len(), 4);
        let mut seen: Vec<String> = lists.iter().flat_map(|l| l.values.clone()).collect();
        seen.dedup();
        assert_eq!(seen, ids(MAX_IDS + 3));
    }

    #[test]
    fn no_items_no_chunks() {
        assert!(chunks::<u32>(&[]).unwrap().is_empty());
    }

    #[test]
    fn small_batches_are_one_array() {
        let chunks = chunks(&[1, 2, 3]).unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].0, &[1, 2, 3]);
        assert_eq!(chunks[0].1, "[1,2,3]");
    }

    #[test]
    fn large_batches_split_in_order_and_oversized_items_go_alone() {
        let items = ["aaaa", "bb", "c", "dddddddddddd", "e"];
        let chunks = chunks_of(&items, 12).unwrap();
        let texts: Vec<&str> = chunks.iter().map(|(_, json)| json.as_str()).collect();
        assert_eq!(
            texts,
            [
                "[\"aaaa\"]",
                "[\"bb\",\"c\"]",
                "[\"dddddddddddd\"]",
                "[\"e\"]"
            ]
        );
        let rejoined: Vec<&str> = chunks.iter().flat_map(|(c, _)| c.iter().copied()).collect();
        assert_eq!(rejoined, items);
        for (chunk, json) in &chunks {
            let parsed: Vec<String> = serde_json::from_str(json).unwrap();
            assert_eq!(parsed, *chunk);
        }
    }
}
