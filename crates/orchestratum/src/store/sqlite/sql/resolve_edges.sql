-- Marks counted the edges from the steps ?1 (a JSON array of ids) that just ended and were not
-- counted before (an operator's retry can end a step twice); returns them.
UPDATE "{prefix}workflow_edges" SET resolved = 1
WHERE parent_id IN (SELECT value FROM json_each(?1)) AND NOT resolved
RETURNING parent_id, child_id, policy
