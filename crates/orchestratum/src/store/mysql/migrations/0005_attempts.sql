-- One row per run that did not succeed and per lapsed lease (see the PostgreSQL migration);
-- rows go with their command.
CREATE TABLE `{prefix}attempts` (
    `command_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `attempt` int NOT NULL,
    `worker_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NULL,
    `started_at` datetime(6) NULL,
    `ended_at` datetime(6) NOT NULL,
    `outcome` varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `error` longtext CHARACTER SET utf8mb4 NULL,
    CONSTRAINT `PK_{prefix}attempts` PRIMARY KEY (`command_id`, `attempt`),
    CONSTRAINT `FK_{prefix}attempts_command` FOREIGN KEY (`command_id`)
        REFERENCES `{prefix}commands` (`id`) ON DELETE CASCADE
) CHARACTER SET=utf8mb4
