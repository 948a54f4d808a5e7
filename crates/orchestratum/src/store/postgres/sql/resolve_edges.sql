-- Marks counted the edges from the steps $1 that just ended and were not counted before
-- (an operator's retry can end a step twice); returns them.
UPDATE "{prefix}workflow_edges" SET resolved = true
WHERE parent_id = ANY($1) AND NOT resolved
RETURNING parent_id, child_id, policy
