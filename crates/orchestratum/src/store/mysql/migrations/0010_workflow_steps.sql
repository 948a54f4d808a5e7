-- Workflow steps (see the PostgreSQL migration); rows go with their command. One statement.
CREATE TABLE `{prefix}workflow_steps` (
    `command_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `workflow_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `workflow_name` varchar(255) CHARACTER SET utf8mb4 NOT NULL,
    `step_key` varchar(255) CHARACTER SET utf8mb4 NULL,
    `role` smallint NOT NULL DEFAULT 0,
    `waiting` int NOT NULL DEFAULT 0,
    `unmet` int NOT NULL DEFAULT 0,
    `delay_us` bigint NOT NULL DEFAULT 0,
    CONSTRAINT `PK_{prefix}workflow_steps` PRIMARY KEY (`command_id`),
    INDEX `IX_{prefix}workflow_steps_workflow` (`workflow_id`),
    CONSTRAINT `FK_{prefix}workflow_steps_command` FOREIGN KEY (`command_id`)
        REFERENCES `{prefix}commands` (`id`) ON DELETE CASCADE
) CHARACTER SET=utf8mb4
