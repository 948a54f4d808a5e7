-- Flow control by command name (see the PostgreSQL migration). The name is compared byte for
-- byte, as the claim compares names.
CREATE TABLE `{prefix}controls` (
    `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `paused` tinyint(1) NOT NULL DEFAULT 0,
    `paused_at` datetime(6) NULL,
    `fleet_limit` int NULL,
    `updated_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT `PK_{prefix}controls` PRIMARY KEY (`name`)
) CHARACTER SET=utf8mb4
