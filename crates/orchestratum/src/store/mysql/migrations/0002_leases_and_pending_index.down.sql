-- Undoes version 2: drops only what it added (our columns and indexes) and restores the
-- reference's boolean indexes, so the .NET library can take the table back. The reference
-- columns and their data are untouched. One statement, applied whole or not at all (DDL is not
-- transactional on MySQL).
ALTER TABLE `{prefix}commands`
    DROP INDEX `IX_{prefix}commands_parent_id`,
    DROP INDEX `IX_{prefix}commands_unfinished`,
    DROP COLUMN `attempt`,
    DROP COLUMN `lease_token`,
    DROP COLUMN `last_error`,
    DROP COLUMN `last_outcome`,
    DROP COLUMN `parent_id`,
    DROP COLUMN `cancel_requested_at`,
    ADD INDEX `IX_{prefix}commands_is_completed` (`is_completed`),
    ADD INDEX `IX_{prefix}commands_is_failed` (`is_failed`),
    ADD INDEX `IX_{prefix}commands_is_running` (`is_running`)
