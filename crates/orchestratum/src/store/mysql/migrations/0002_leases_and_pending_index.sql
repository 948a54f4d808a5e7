-- Columns the guarantees need; each has a default so the .NET library's inserts keep working.
-- MySQL has no partial index: the index on unfinished rows leads with the target and the three
-- terminal flags (compared with `= FALSE`), so the claim reads only unfinished rows of its
-- target, in `scheduled_at` order. The boolean indexes serve no query and slow every state
-- change. One statement, so the version is applied whole or not at all (DDL is not
-- transactional on MySQL).
ALTER TABLE `{prefix}commands`
    ADD COLUMN `attempt` int NOT NULL DEFAULT 0,
    ADD COLUMN `lease_token` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NULL DEFAULT NULL,
    ADD COLUMN `last_error` longtext CHARACTER SET utf8mb4 NULL,
    ADD COLUMN `last_outcome` varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NULL DEFAULT NULL,
    ADD COLUMN `parent_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NULL DEFAULT NULL,
    ADD COLUMN `cancel_requested_at` datetime(6) NULL DEFAULT NULL,
    DROP INDEX `IX_{prefix}commands_is_completed`,
    DROP INDEX `IX_{prefix}commands_is_failed`,
    DROP INDEX `IX_{prefix}commands_is_running`,
    ADD INDEX `IX_{prefix}commands_unfinished`
        (`target`, `is_completed`, `is_failed`, `is_canceled`, `scheduled_at`),
    ADD INDEX `IX_{prefix}commands_parent_id` (`parent_id`)
