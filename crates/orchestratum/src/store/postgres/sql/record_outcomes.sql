-- Writes a batch of outcomes. Each is fenced: with a lease token, only the run holding it may
-- write; without one (a cancel of a command nobody runs), only while no live lease exists (a
-- row marked running without an expiry has none).
-- A retried or released command is claimable again (now or at its due time): wake the
-- instances of its target, as a push does (identical notifications are sent once).
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
            $7::text[], $8::text[])
     AS o(id, token, kind, output, retries_left, delay_us, error, error_kind)
WHERE c.id = o.id
  AND NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
  AND CASE WHEN o.token IS NOT NULL THEN c.is_running AND c.lease_token = o.token
           ELSE NOT c.is_running OR c.run_expires_at IS NULL OR c.run_expires_at < now() END
RETURNING c.id, c.target, o.kind
)
SELECT id, CASE WHEN kind IN ('retry', 'release') THEN pg_notify($9, target)::text END AS woke
FROM written
