-- Releases the waiting steps of ?1 (a JSON array of {id, delay_us, cancel}): due after the
-- delay, with a cancel request where asked. A step no longer waiting was released before and
-- is left alone.
UPDATE "{prefix}commands" SET
    scheduled_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                            format('%+.6f seconds', r.r_delay_us / 1e6)),
    cancel_requested_at = CASE WHEN r.r_cancel
                               THEN COALESCE(cancel_requested_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
                               ELSE cancel_requested_at END
FROM (SELECT value ->> 'id' AS r_id, value ->> 'delay_us' AS r_delay_us,
             value ->> 'cancel' AS r_cancel
      FROM json_each(?1)) AS r
WHERE id = r.r_id AND scheduled_at = '9999-12-31 00:00:00.000+00:00'
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
