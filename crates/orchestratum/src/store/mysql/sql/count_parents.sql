-- Counts ended parents in the step rows of a JSON array of {id, ended, unmet}: fewer waiting,
-- more that did not succeed. Under the rows' locks, so the count that reaches zero is seen by
-- exactly one finishing transaction (`counted_steps` reads it back).
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    ended int PATH '$.ended',
    unmet int PATH '$.unmet')) AS t
STRAIGHT_JOIN `{prefix}workflow_steps` AS s FORCE INDEX (PRIMARY)
  ON s.command_id = CONVERT(t.id USING ascii)
SET s.waiting = s.waiting - t.ended,
    s.unmet = s.unmet + t.unmet
