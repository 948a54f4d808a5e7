-- The commands holding the unique keys in the JSON array ? now (`unique_live` is the key only
-- while the row's state is in its set), read with a shared lock so it sees the latest commit
-- (the push just waited for it) rather than the transaction's snapshot.
SELECT c.id, c.unique_live AS unique_key
FROM `{prefix}commands` AS c
JOIN JSON_TABLE(?, '$[*]' COLUMNS (k varchar(255) PATH '$')) AS j
  ON c.unique_live = CONVERT(j.k USING utf8mb4) COLLATE utf8mb4_bin
LOCK IN SHARE MODE
