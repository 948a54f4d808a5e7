-- Marks the steps (the second parameter, a JSON array of {id, waiting}) with their workflow
-- (the first); a step with parents waits (`scheduled_at` 9999-12-31) until its last parent's
-- finishing transaction releases it.
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    waiting int PATH '$.waiting')) AS s
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(s.id USING ascii)
SET c.workflow_id = ?,
    c.scheduled_at = CASE WHEN s.waiting > 0 THEN '9999-12-31 00:00:00' ELSE c.scheduled_at END
