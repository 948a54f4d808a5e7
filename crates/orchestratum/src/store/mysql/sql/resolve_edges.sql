-- Marks counted the edges `resolve_edges_lock` locked (the same JSON array of parent ids).
UPDATE `{prefix}workflow_edges` AS e
JOIN JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id')) AS j
  ON e.parent_id = CONVERT(j.id USING ascii)
SET e.resolved = TRUE
WHERE NOT e.resolved
