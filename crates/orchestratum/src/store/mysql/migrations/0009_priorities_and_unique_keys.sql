-- Priorities and unique commands (see the PostgreSQL migration). MySQL has no partial index:
-- `unique_live` is a stored generated column that is the key while the row's state is in its
-- set (`unique_states`: 1 completed, 2 failed, 4 canceled; unfinished rows always hold their
-- key) and NULL otherwise, and a unique index on it admits any number of NULLs. Both key
-- columns compare bytes (utf8mb4_bin): keys that differ only in case or trailing spaces are
-- different keys, as on the other backends. The claim's index gains `priority DESC` before
-- `scheduled_at` (the claim fixes the first four columns by equality and reads in
-- (priority DESC, scheduled_at, id) order; descending index parts need MySQL 8 or MariaDB 10.8,
-- older servers sort instead). One statement, applied whole or not at all.
ALTER TABLE `{prefix}commands`
    ADD COLUMN `priority` smallint NOT NULL DEFAULT 0,
    ADD COLUMN `unique_key` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL DEFAULT NULL,
    ADD COLUMN `unique_states` smallint NOT NULL DEFAULT 0,
    ADD COLUMN `unique_live` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
        AS (CASE WHEN (`is_completed` = FALSE AND `is_failed` = FALSE AND `is_canceled` = FALSE)
                      OR (`is_completed` AND `unique_states` & 1 <> 0)
                      OR (`is_failed` AND `unique_states` & 2 <> 0)
                      OR (`is_canceled` AND `unique_states` & 4 <> 0)
                 THEN `unique_key` END) STORED,
    DROP INDEX `IX_{prefix}commands_unfinished`,
    ADD INDEX `IX_{prefix}commands_unfinished`
        (`target`, `is_completed`, `is_failed`, `is_canceled`, `priority` DESC, `scheduled_at`),
    ADD UNIQUE INDEX `UX_{prefix}commands_unique_live` (`unique_live`)
