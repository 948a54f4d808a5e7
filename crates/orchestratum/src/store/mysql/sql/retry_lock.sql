-- Finds command ? if it is failed or canceled (only those can be retried) and locks its row.
SELECT id
FROM `{prefix}commands`
WHERE id = ? AND (is_failed OR is_canceled) AND is_completed = FALSE
FOR UPDATE
