INSERT INTO `{prefix}schema_migrations` (`version`, `description`, `applied_at`)
VALUES (?, ?, UTC_TIMESTAMP(6))
