-- The edges into the steps of workflow ?.
SELECT e.parent_id, e.child_id, e.policy
FROM `{prefix}workflow_edges` AS e
JOIN `{prefix}workflow_steps` AS s ON s.command_id = e.child_id
WHERE s.workflow_id = ?
