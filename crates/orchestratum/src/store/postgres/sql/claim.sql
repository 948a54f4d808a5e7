-- Claims up to $3 due commands of target $1 whose name is in $2. A row still marked running
-- has a lapsed lease: reclaiming it costs the lapsed run one retry. A running row without an
-- expiry (another program's write) has no lease at all, so it counts as lapsed.
WITH picked AS (
    SELECT id FROM "{prefix}commands"
    WHERE target = $1 AND name = ANY($2)
      AND NOT is_completed AND NOT is_failed AND NOT is_canceled
      AND (NOT is_running OR run_expires_at IS NULL OR run_expires_at < now())
      AND (scheduled_at <= now() OR cancel_requested_at IS NOT NULL)
    ORDER BY scheduled_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE "{prefix}commands" AS c SET
    is_running = true,
    running_at = now(),
    run_expires_at = now() + $4 * interval '1 microsecond',
    lease_token = gen_random_uuid(),
    attempt = c.attempt + 1,
    retries_left = CASE WHEN c.is_running THEN c.retries_left - 1 ELSE c.retries_left END,
    last_error = CASE WHEN c.is_running THEN 'lease expired: the worker running it stopped renewing'
                      ELSE c.last_error END,
    last_outcome = CASE WHEN c.is_running THEN 'lease_expired' ELSE c.last_outcome END
FROM picked
WHERE c.id = picked.id
RETURNING c.id, c.name, c.input, c.timeout, c.retries_left, c.attempt, c.lease_token,
          c.cancel_requested_at IS NOT NULL AS cancel_requested,
          (EXTRACT(EPOCH FROM (now() - c.scheduled_at)) * 1e6)::bigint AS queue_wait_us
