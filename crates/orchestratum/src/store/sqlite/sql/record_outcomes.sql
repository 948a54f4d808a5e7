-- Writes a batch of outcomes. Each is fenced: with a lease token, only the run holding it may
-- write; without one (a cancel of a command nobody runs), only while no live lease exists (a
-- row marked running without an expiry has none). Ids come in upper case, as EF Core writes
-- them; rows written in lower case match too. The batch is read as JSONB (`jsonb_each`), whose
-- elements are read field by field without being turned back into text and parsed again for
-- each field: 3.9 -> 2.8 ms for 175 outcomes (decision 0009, fourth pass).
UPDATE "{prefix}commands" SET
    is_running = 0,
    run_expires_at = NULL,
    lease_token = NULL,
    is_completed = (o.o_kind = 'complete'),
    completed_at = CASE WHEN o.o_kind = 'complete'
                        THEN strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') ELSE completed_at END,
    output = CASE WHEN o.o_kind = 'complete' THEN o.o_output ELSE output END,
    is_failed = (o.o_kind = 'fail'),
    failed_at = CASE WHEN o.o_kind = 'fail'
                     THEN strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') ELSE failed_at END,
    is_canceled = (o.o_kind = 'cancel'),
    canceled_at = CASE WHEN o.o_kind = 'cancel'
                       THEN strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') ELSE canceled_at END,
    retries_left = COALESCE(o.o_retries_left, retries_left),
    scheduled_at = CASE WHEN o.o_kind = 'retry'
                        THEN strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                      format('%+.6f seconds', o.o_delay_us / 1e6))
                        ELSE scheduled_at END,
    last_error = COALESCE(o.o_error, last_error),
    last_outcome = COALESCE(o.o_error_kind, last_outcome)
FROM (SELECT value ->> 'id' AS o_id, value ->> 'token' AS o_token, value ->> 'kind' AS o_kind,
             value ->> 'output' AS o_output, value ->> 'retries_left' AS o_retries_left,
             value ->> 'delay_us' AS o_delay_us, value ->> 'error' AS o_error,
             value ->> 'error_kind' AS o_error_kind
      FROM jsonb_each(jsonb(?1))) AS o
WHERE id IN (o.o_id, lower(o.o_id))
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND CASE WHEN o.o_token IS NOT NULL THEN is_running AND lease_token = o.o_token
           ELSE NOT is_running OR run_expires_at IS NULL
                OR run_expires_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') END
RETURNING id
