-- Marks counted the edges `resolve_edges_lock` locked (the same JSON array of parent ids).
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id')) AS j
STRAIGHT_JOIN `{prefix}workflow_edges` AS e FORCE INDEX (PRIMARY)
  ON e.parent_id = CONVERT(j.id USING ascii)
SET e.resolved = TRUE
WHERE NOT e.resolved
