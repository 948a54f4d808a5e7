CREATE TABLE IF NOT EXISTS `{prefix}schema_migrations` (
    `version` bigint NOT NULL,
    `description` varchar(255) CHARACTER SET utf8mb4 NOT NULL,
    `applied_at` datetime(6) NOT NULL,
    CONSTRAINT `PK_{prefix}schema_migrations` PRIMARY KEY (`version`)
) CHARACTER SET=utf8mb4
