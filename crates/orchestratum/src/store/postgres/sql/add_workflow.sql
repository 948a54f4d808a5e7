-- Records the steps and edges of workflow $1 (named $2) whose commands were just pushed, and
-- marks each step with its workflow; a step with parents waits (`scheduled_at` 9999-12-31)
-- until the finishing transaction of its last parent releases it.
WITH steps AS (
    INSERT INTO "{prefix}workflow_steps"
        (command_id, workflow_id, workflow_name, step_key, role, waiting, delay_us)
    SELECT s.id, $1, $2, s.step_key, s.role, s.waiting, s.delay_us
    FROM unnest($3::uuid[], $4::text[], $5::smallint[], $6::integer[], $7::bigint[])
         AS s(id, step_key, role, waiting, delay_us)
),
edges AS (
    INSERT INTO "{prefix}workflow_edges" (parent_id, child_id, policy)
    SELECT * FROM unnest($8::uuid[], $9::uuid[], $10::smallint[])
)
UPDATE "{prefix}commands" AS c SET
    workflow_id = $1,
    scheduled_at = CASE WHEN s.waiting > 0 THEN timestamptz '9999-12-31 00:00:00+00'
                        ELSE c.scheduled_at END
FROM unnest($3::uuid[], $6::integer[]) AS s(id, waiting)
WHERE c.id = s.id
