-- Deletes finished commands that finished more than the first parameter's microseconds ago,
-- at most the last parameter's number of them. The second and third parameters (the same
-- value twice: MySQL has no numbered parameters) keep one final state ('completed', 'failed'
-- or 'canceled'), NULL all three. The final state and its time follow
-- `CommandRecord::state()`'s order. MySQL refuses a LIMIT inside an IN subquery on the table
-- it deletes from; a single-table DELETE takes its own LIMIT instead.
DELETE FROM `{prefix}commands`
WHERE (is_completed OR is_failed OR is_canceled)
  AND CASE WHEN is_completed THEN completed_at
           WHEN is_failed THEN failed_at
           ELSE canceled_at END < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND
  AND (? IS NULL OR ? = CASE WHEN is_completed THEN 'completed'
                             WHEN is_failed THEN 'failed'
                             ELSE 'canceled' END)
LIMIT ?
