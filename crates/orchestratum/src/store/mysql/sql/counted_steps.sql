-- The step rows `count_parents` just changed (a JSON array of {id}), as they now are.
SELECT s.command_id, s.waiting, s.unmet, s.role, s.delay_us
FROM JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id')) AS t
STRAIGHT_JOIN `{prefix}workflow_steps` AS s FORCE INDEX (PRIMARY)
  ON s.command_id = CONVERT(t.id USING ascii)
FOR UPDATE
