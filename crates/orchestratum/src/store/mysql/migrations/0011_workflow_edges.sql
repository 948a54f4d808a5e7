-- Workflow edges (see the PostgreSQL migration); rows go with either command. One statement.
CREATE TABLE `{prefix}workflow_edges` (
    `parent_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `child_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `policy` smallint NOT NULL DEFAULT 0,
    `resolved` tinyint(1) NOT NULL DEFAULT 0,
    CONSTRAINT `PK_{prefix}workflow_edges` PRIMARY KEY (`parent_id`, `child_id`),
    INDEX `IX_{prefix}workflow_edges_child` (`child_id`),
    CONSTRAINT `FK_{prefix}workflow_edges_parent` FOREIGN KEY (`parent_id`)
        REFERENCES `{prefix}commands` (`id`) ON DELETE CASCADE,
    CONSTRAINT `FK_{prefix}workflow_edges_child` FOREIGN KEY (`child_id`)
        REFERENCES `{prefix}commands` (`id`) ON DELETE CASCADE
) CHARACTER SET=utf8mb4
