-- Marks the steps (a JSON array of {id, waiting}) with their workflow ?1; a step with parents
-- waits (`scheduled_at` 9999-12-31) until its last parent's finishing transaction releases it.
UPDATE "{prefix}commands" SET
    workflow_id = ?1,
    scheduled_at = CASE WHEN s.s_waiting > 0 THEN '9999-12-31 00:00:00.000+00:00'
                        ELSE scheduled_at END
FROM (SELECT value ->> 'id' AS s_id, value ->> 'waiting' AS s_waiting FROM json_each(?2)) AS s
WHERE id = s.s_id
