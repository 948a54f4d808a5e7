-- Records the runs of a batch (a JSON array of {id, token, outcome, error}) that did not succeed
-- as attempts, before the outcome overwrites what they were. Same fence as `record_outcomes`:
-- only a run still holding its lease.
INSERT OR IGNORE INTO "{prefix}attempts"
    ("command_id", "attempt", "worker_id", "started_at", "ended_at", "outcome", "error")
SELECT c.id, c.attempt, c.worker_id, c.running_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'),
       o.value ->> 'outcome', o.value ->> 'error'
FROM jsonb_each(jsonb(?1)) AS o
JOIN "{prefix}commands" AS c ON c.id IN (o.value ->> 'id', lower(o.value ->> 'id'))
WHERE NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
  AND c.is_running AND c.lease_token = o.value ->> 'token'
