-- Seconds until the earliest unfinished command of target $1 and names $2 becomes claimable.
SELECT EXTRACT(EPOCH FROM (min(CASE WHEN is_running THEN run_expires_at ELSE scheduled_at END) - now()))::float8
FROM "{prefix}commands"
WHERE target = $1 AND name = ANY($2)
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
