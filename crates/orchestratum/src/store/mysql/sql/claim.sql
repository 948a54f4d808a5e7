-- Takes a lease on the rows `claim_lock` (or `claim_scan`) locked, whose ids fill the list
-- `{ids}` (as many placeholders as the next power of two at or above the claim's size, the last
-- id repeated, so that a few statement texts serve every size: a list of ids reads each row by
-- its key, where a join to a JSON array of them wrote every row through a temporary table). Reclaiming a
-- row still marked running (its lease lapsed) costs the lapsed run one retry (`claim_lapsed`
-- recorded that run first). The lease, token ?2, lasts ?1 microseconds; ?3 is the worker.
-- `is_running` is assigned last: MySQL's single-table UPDATE assigns left to right, and every
-- assignment before it reads the value the row had when it was locked.
UPDATE `{prefix}commands`
SET retries_left = retries_left - is_running,
    last_error = CASE WHEN is_running
                      THEN 'lease expired: the worker running it stopped renewing'
                      ELSE last_error END,
    last_outcome = CASE WHEN is_running THEN 'lease_expired' ELSE last_outcome END,
    running_at = UTC_TIMESTAMP(6),
    run_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND,
    lease_token = ?,
    worker_id = ?,
    attempt = attempt + 1,
    is_running = TRUE
WHERE id IN ({ids})
