-- Claims up to $3 due commands of target $1 whose name is in $2, for worker $5. A row still
-- marked running has a lapsed lease (a missing expiry counts as lapsed): reclaiming it costs
-- the lapsed run one retry, and records that run as an attempt that ended `lease_expired`.
-- Paused names (`{prefix}controls`) are skipped, and so are workflow steps waiting for their
-- parents (due in the year 9999), which the claim index leaves out.
-- The claim commits without waiting for its WAL flush (`synchronous_commit` off for this
-- transaction only, so no session state is left behind): a claim lost in a server crash only
-- makes the command claimable again, as a lapsed lease does, and the outcome's own synchronous
-- commit flushes the claim's WAL before it, so no outcome outlives its claim.
WITH picked AS (
    SELECT id, is_running AS lapsed, attempt, worker_id, running_at, run_expires_at
    FROM "{prefix}commands"
    WHERE target = $1 AND name = ANY($2)
      AND NOT is_completed AND NOT is_failed AND NOT is_canceled
      AND scheduled_at < timestamptz '9999-01-01 00:00:00+00'
      AND (NOT is_running OR run_expires_at IS NULL OR run_expires_at < now())
      AND (scheduled_at <= now() OR cancel_requested_at IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM "{prefix}controls" AS k
                      WHERE k.name = "{prefix}commands".name AND k.paused)
    ORDER BY priority DESC, scheduled_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
),
lapsed_runs AS (
    INSERT INTO "{prefix}attempts"
        (command_id, attempt, worker_id, started_at, ended_at, outcome, error)
    SELECT id, attempt, worker_id, running_at, COALESCE(run_expires_at, now()), 'lease_expired',
           'lease expired: the worker running it stopped renewing'
    FROM picked WHERE lapsed
    ON CONFLICT DO NOTHING
),
-- The claimed rows come back in claim order: those claimed ahead of free slots start in it.
-- The picked ids are an array the update looks up by primary key: joined to the CTE instead,
-- the planner hashed it and scanned the whole table for the few rows claimed (3.9 of a 7.6 ms
-- claim of 175 among 20,000 rows; decision 0009).
claimed AS (
    UPDATE "{prefix}commands" AS c SET
        is_running = true,
        running_at = now(),
        run_expires_at = now() + $4 * interval '1 microsecond',
        lease_token = gen_random_uuid(),
        worker_id = $5,
        attempt = c.attempt + 1,
        retries_left = CASE WHEN c.is_running THEN c.retries_left - 1 ELSE c.retries_left END,
        last_error = CASE WHEN c.is_running THEN 'lease expired: the worker running it stopped renewing'
                          ELSE c.last_error END,
        last_outcome = CASE WHEN c.is_running THEN 'lease_expired' ELSE c.last_outcome END
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
    WHERE c.id = ANY(ARRAY(SELECT id FROM picked))
    RETURNING c.id, c.name, c.input, c.timeout, c.retries_left, c.attempt, c.lease_token, c.workflow_id,
              c.cancel_requested_at IS NOT NULL AS cancel_requested,
              (EXTRACT(EPOCH FROM (now() - c.scheduled_at)) * 1e6)::bigint AS queue_wait_us,
              c.priority, c.scheduled_at
)
SELECT id, name, input, timeout, retries_left, attempt, lease_token, workflow_id, cancel_requested,
       queue_wait_us
FROM claimed
ORDER BY priority DESC, scheduled_at, id
