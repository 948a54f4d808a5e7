-- Inserts a batch given as one JSON array (static text whatever the batch size). A key left out
-- of an element reads as NULL.
INSERT INTO `{prefix}commands` (
    id, target, name, input, output, scheduled_at, timeout, is_running, is_completed,
    is_canceled, retries_left, is_failed, attempt, parent_id)
SELECT j.id, j.target, j.name, j.input, NULL,
       UTC_TIMESTAMP(6) + INTERVAL j.delay_us MICROSECOND,
       CAST(j.timeout AS TIME(6)),
       FALSE, FALSE, FALSE, j.retries, FALSE, 0, j.parent_id
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    target varchar(255) PATH '$.target',
    name longtext PATH '$.name',
    input longtext PATH '$.input',
    delay_us bigint PATH '$.delay_us',
    timeout varchar(20) PATH '$.timeout',
    retries int PATH '$.retries',
    parent_id varchar(36) PATH '$.parent_id')) AS j
