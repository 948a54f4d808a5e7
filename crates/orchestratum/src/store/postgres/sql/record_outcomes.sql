-- Writes a batch of outcomes. Each is fenced: with a lease token, only the run holding it may
-- write; without one (a cancel of a command nobody runs), only while no live lease exists (a
-- row marked running without an expiry has none).
-- A run that did not succeed ($10: the outcome of its attempt) is recorded as an attempt. A
-- retried or released command is claimable again (now or at its due time): wake the instances
-- of its target, as a push does (identical notifications are sent once).
WITH written AS (
UPDATE "{prefix}commands" AS c SET
    is_running = false,
    run_expires_at = NULL,
    lease_token = NULL,
    is_completed = (o.kind = 'complete'),
    completed_at = CASE WHEN o.kind = 'complete' THEN now() ELSE c.completed_at END,
    output = CASE WHEN o.kind = 'complete' THEN o.output ELSE c.output END,
    is_failed = (o.kind = 'fail'),
    failed_at = CASE WHEN o.kind = 'fail' THEN now() ELSE c.failed_at END,
    is_canceled = (o.kind = 'cancel'),
    canceled_at = CASE WHEN o.kind = 'cancel' THEN now() ELSE c.canceled_at END,
    retries_left = COALESCE(o.retries_left, c.retries_left),
    scheduled_at = CASE WHEN o.kind = 'retry' THEN now() + o.delay_us * interval '1 microsecond'
                        ELSE c.scheduled_at END,
    last_error = COALESCE(o.error, c.last_error),
    last_outcome = COALESCE(o.error_kind, c.last_outcome)
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::integer[], $6::bigint[],
            $7::text[], $8::text[], $10::text[])
     AS o(id, token, kind, output, retries_left, delay_us, error, error_kind, attempt_outcome)
WHERE c.id = o.id
  AND NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
  AND CASE WHEN o.token IS NOT NULL THEN c.is_running AND c.lease_token = o.token
           ELSE NOT c.is_running OR c.run_expires_at IS NULL OR c.run_expires_at < now() END
RETURNING c.id, c.target, o.kind, c.attempt, c.worker_id, c.running_at, o.attempt_outcome,
          o.error
),
recorded AS (
    INSERT INTO "{prefix}attempts"
        (command_id, attempt, worker_id, started_at, ended_at, outcome, error)
    SELECT id, attempt, worker_id, running_at, now(), attempt_outcome, error
    FROM written WHERE attempt_outcome IS NOT NULL
    ON CONFLICT DO NOTHING
)
SELECT id, CASE WHEN kind IN ('retry', 'release') THEN pg_notify($9, target)::text END AS woke
FROM written
