-- Undoes version 9: restores version 2's index on unfinished rows. One statement.
ALTER TABLE `{prefix}commands`
    DROP INDEX `UX_{prefix}commands_unique_live`,
    DROP INDEX `IX_{prefix}commands_unfinished`,
    ADD INDEX `IX_{prefix}commands_unfinished`
        (`target`, `is_completed`, `is_failed`, `is_canceled`, `scheduled_at`),
    DROP COLUMN `unique_live`,
    DROP COLUMN `unique_states`,
    DROP COLUMN `unique_key`,
    DROP COLUMN `priority`
