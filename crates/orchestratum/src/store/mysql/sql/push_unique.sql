-- Inserts a batch given as one JSON array (static text whatever the batch size). A key left out
-- of an element reads as NULL. A row whose unique key a live command holds (or an earlier row of
-- the batch) is not inserted: the no-op update only turns that one conflict into "nothing to
-- do" (MySQL has no ON CONFLICT DO NOTHING, and INSERT IGNORE would hide every other error);
-- the caller reads the holders back with `unique_holders`. Ids are fresh UUIDv7s, so no other
-- unique index can conflict.
INSERT INTO `{prefix}commands` (
    id, target, name, input, output, scheduled_at, timeout, is_running, is_completed,
    is_canceled, retries_left, is_failed, attempt, parent_id, priority, unique_key, unique_states)
SELECT j.id, j.target, j.name, j.input, NULL,
       UTC_TIMESTAMP(6) + INTERVAL j.delay_us MICROSECOND,
       CAST(j.timeout AS TIME(6)),
       FALSE, FALSE, FALSE, j.retries, FALSE, 0, j.parent_id, j.priority, j.unique_key,
       j.unique_states
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    target varchar(255) PATH '$.target',
    name longtext PATH '$.name',
    input longtext PATH '$.input',
    delay_us bigint PATH '$.delay_us',
    timeout varchar(20) PATH '$.timeout',
    retries int PATH '$.retries',
    parent_id varchar(36) PATH '$.parent_id',
    priority smallint PATH '$.priority',
    unique_key varchar(255) PATH '$.unique_key',
    unique_states smallint PATH '$.unique_states')) AS j
ON DUPLICATE KEY UPDATE `{prefix}commands`.id = `{prefix}commands`.id
