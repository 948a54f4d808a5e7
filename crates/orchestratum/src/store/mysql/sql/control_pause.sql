-- Pauses name ? (creating its row if no command has it yet); pausing again keeps the first
-- paused_at. `control_read` reads the row back.
INSERT INTO `{prefix}controls` (name, paused, paused_at, updated_at)
VALUES (?, TRUE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE
    paused_at = CASE WHEN paused THEN paused_at ELSE UTC_TIMESTAMP(6) END,
    paused = TRUE,
    updated_at = UTC_TIMESTAMP(6)
