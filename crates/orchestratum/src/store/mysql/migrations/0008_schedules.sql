-- Cron and interval schedules (see the PostgreSQL migration). The name is binary-collated, so
-- two names that differ only in case or accents are two schedules, as on the other backends.
CREATE TABLE `{prefix}schedules` (
    `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `kind` varchar(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `expression` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `time_zone` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `misfire` varchar(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `command_name` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `command_input` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `target` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `timeout_us` bigint NOT NULL,
    `retries` int NOT NULL,
    `priority` smallint NOT NULL DEFAULT 0,
    `unique_key` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    `unique_states` smallint NOT NULL DEFAULT 0,
    `next_run_at` datetime(6) NOT NULL,
    `last_run_at` datetime(6) NULL,
    `paused` boolean NOT NULL DEFAULT FALSE,
    `registered_at` datetime(6) NOT NULL,
    CONSTRAINT `PK_{prefix}schedules` PRIMARY KEY (`name`)
) CHARACTER SET=utf8mb4
