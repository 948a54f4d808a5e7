-- Counts ended parents in the step rows of ?1 (a JSON array of {id, ended, unmet}): fewer
-- waiting, more that did not succeed. Returns the rows as they now are.
UPDATE "{prefix}workflow_steps" SET
    waiting = waiting - t.t_ended,
    unmet = unmet + t.t_unmet
FROM (SELECT value ->> 'id' AS t_id, value ->> 'ended' AS t_ended, value ->> 'unmet' AS t_unmet
      FROM json_each(?1)) AS t
WHERE command_id = t.t_id
RETURNING command_id, waiting, unmet, role, delay_us
