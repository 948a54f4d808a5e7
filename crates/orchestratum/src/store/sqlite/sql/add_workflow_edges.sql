-- Records the edges (a JSON array of {parent, child, policy}) of a workflow being pushed.
INSERT INTO "{prefix}workflow_edges" (parent_id, child_id, policy)
SELECT j.value ->> 'parent', j.value ->> 'child', j.value ->> 'policy'
FROM json_each(?1) AS j
