-- Resumes name ?. `control_read` reads the row back.
INSERT INTO `{prefix}controls` (name, paused, paused_at, updated_at)
VALUES (?, FALSE, NULL, UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE paused = FALSE, paused_at = NULL, updated_at = UTC_TIMESTAMP(6)
