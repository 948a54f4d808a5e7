-- The edges from the steps that just ended (a JSON array of ids) not counted before (an
-- operator's retry can end a step twice), locked for `resolve_edges`.
SELECT e.parent_id, e.child_id, e.policy
FROM JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id')) AS j
STRAIGHT_JOIN `{prefix}workflow_edges` AS e FORCE INDEX (PRIMARY)
  ON e.parent_id = CONVERT(j.id USING ascii)
WHERE NOT e.resolved
ORDER BY e.child_id
FOR UPDATE
