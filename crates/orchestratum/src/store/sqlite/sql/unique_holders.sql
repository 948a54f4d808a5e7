-- The commands holding the unique keys in the JSON array ?1 now: at most one per key, the one
-- whose state is in its own set (the predicate of "UX_{prefix}commands_unique_key").
SELECT id, unique_key
FROM "{prefix}commands"
WHERE unique_key IN (SELECT value FROM json_each(?1))
  AND ((NOT is_completed AND NOT is_failed AND NOT is_canceled)
       OR (is_completed AND unique_states & 1 <> 0)
       OR (is_failed AND unique_states & 2 <> 0)
       OR (is_canceled AND unique_states & 4 <> 0))
