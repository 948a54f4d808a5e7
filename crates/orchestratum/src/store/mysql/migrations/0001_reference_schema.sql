-- The .NET library's EF Core schema as Pomelo's MySQL provider makes it: Guid as
-- char(36) ascii, an indexed string as varchar(255) (an index needs a bounded key), other
-- strings as longtext, DateTimeOffset as datetime(6) in UTC, TimeSpan as time(6), bool as
-- tinyint(1). Pomelo creates the indexes in separate statements; here they are inline, so the
-- whole version is one statement: MySQL commits each DDL statement on its own, and one
-- statement is applied whole or not at all.
CREATE TABLE `{prefix}commands` (
    `id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `target` varchar(255) CHARACTER SET utf8mb4 NOT NULL,
    `name` longtext CHARACTER SET utf8mb4 NOT NULL,
    `input` longtext CHARACTER SET utf8mb4 NULL,
    `output` longtext CHARACTER SET utf8mb4 NULL,
    `scheduled_at` datetime(6) NOT NULL,
    `timeout` time(6) NOT NULL,
    `is_running` tinyint(1) NOT NULL,
    `running_at` datetime(6) NULL,
    `run_expires_at` datetime(6) NULL,
    `is_completed` tinyint(1) NOT NULL,
    `completed_at` datetime(6) NULL,
    `is_canceled` tinyint(1) NOT NULL,
    `canceled_at` datetime(6) NULL,
    `retries_left` int NOT NULL,
    `is_failed` tinyint(1) NOT NULL,
    `failed_at` datetime(6) NULL,
    CONSTRAINT `PK_{prefix}commands` PRIMARY KEY (`id`),
    INDEX `IX_{prefix}commands_is_completed` (`is_completed`),
    INDEX `IX_{prefix}commands_is_failed` (`is_failed`),
    INDEX `IX_{prefix}commands_is_running` (`is_running`),
    INDEX `IX_{prefix}commands_target` (`target`)
) CHARACTER SET=utf8mb4
