-- Records the edges (a JSON array of {parent, child, policy}) of a workflow being pushed.
INSERT INTO `{prefix}workflow_edges` (parent_id, child_id, policy)
SELECT j.parent_id, j.child_id, j.policy
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    parent_id varchar(36) PATH '$.parent',
    child_id varchar(36) PATH '$.child',
    policy smallint PATH '$.policy')) AS j
