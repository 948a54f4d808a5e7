//! Command ids as EF Core's SQLite provider spells them.
//!
//! Microsoft.Data.Sqlite binds a `Guid` as upper-case hyphenated text, and SQLite compares text
//! byte for byte: the .NET library finds a row by id only in that spelling. So every id this
//! backend writes or binds is spelled that way, and each statement that matches by id also
//! tries `lower(…)` of it, for the rows written in lower case (by earlier versions of this
//! library, or by hand). Both are exact probes of the primary key (or of the parent index).
//! Reading an id back accepts either spelling (`Uuid::from_str`).

use uuid::Uuid;

/// `id` as EF Core stores it on SQLite: `6F1C1B8E-0C3F-4A59-9D0A-2A7A3C1E5B11`.
pub(super) fn text(id: Uuid) -> String {
    id.hyphenated()
        .encode_upper(&mut Uuid::encode_buffer())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::AssertSqlSafe;
    use sqlx::sqlite::SqliteConnectOptions;

    use super::*;
    use crate::store::TablePrefix;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn spelled_as_ef_core_and_read_back_either_way() {
        let id = Uuid::from_str("6f1c1b8e-0c3f-4a59-9d0a-2a7a3c1e5b11").unwrap();
        assert_eq!(text(id), "6F1C1B8E-0C3F-4A59-9D0A-2A7A3C1E5B11");
        assert_eq!(Uuid::from_str(&text(id)).unwrap(), id);
        assert_eq!(Uuid::from_str(&text(id).to_lowercase()).unwrap(), id);
    }

    /// Matching both spellings must stay two index probes, never a scan of the table.
    #[tokio::test]
    async fn lookups_by_id_probe_an_index() {
        let url = "sqlite::memory:";
        let options = SqliteConnectOptions::from_str(url).unwrap();
        let store = SqliteStore::connect(options, url, TablePrefix::new("ORCH_").unwrap())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let id = text(Uuid::now_v7());
        let batch = serde_json::json!([{"id": id, "token": "t"}]).to_string();
        let sql = &store.sql;
        let by_id = [
            (&sql.get, vec![id.as_str()]),
            (&sql.request_cancel, vec![id.as_str()]),
            (&sql.retry, vec![id.as_str(), "1"]),
            (&sql.follow_ups, vec![id.as_str()]),
            (&sql.delete_check, vec![id.as_str()]),
            (&sql.delete, vec![id.as_str()]),
            (&sql.renew_leases, vec![batch.as_str(), "1"]),
            (&sql.record_outcomes, vec![batch.as_str()]),
        ];
        for (statement, args) in by_id {
            let explain = format!("EXPLAIN QUERY PLAN {}", statement.as_str());
            let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(AssertSqlSafe(explain));
            for arg in args {
                query = query.bind(arg);
            }
            let plan: Vec<String> = query
                .fetch_all(store.pool())
                .await
                .unwrap()
                .into_iter()
                .map(|row| row.3)
                .collect();
            let on_table: Vec<&String> = plan
                .iter()
                .filter(|d| d.contains("ORCH_commands"))
                .collect();
            assert!(
                !on_table.is_empty()
                    && on_table.iter().all(|d| {
                        d.starts_with("SEARCH")
                            && (d.contains("sqlite_autoindex_ORCH_commands_1 (id=?)")
                                || d.contains("IX_ORCH_commands_parent_id (parent_id=?)"))
                    }),
                "{}: {plan:?}",
                statement.as_str()
            );
        }
    }
}
