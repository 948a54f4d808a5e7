-- Counts ended parents in the step rows $1 (in id order, the order they are locked in): $2
-- fewer waiting, $3 more that did not succeed. Under the row's lock, so the count that reaches
-- zero is seen by exactly one finishing transaction.
UPDATE "{prefix}workflow_steps" AS s SET
    waiting = s.waiting - t.ended,
    unmet = s.unmet + t.unmet
FROM unnest($1::uuid[], $2::integer[], $3::integer[]) AS t(id, ended, unmet)
WHERE s.command_id = t.id
RETURNING s.command_id, s.waiting, s.unmet, s.role, s.delay_us
