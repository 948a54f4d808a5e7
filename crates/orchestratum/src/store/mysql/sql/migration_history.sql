SELECT `version`, `description`, `applied_at` FROM `{prefix}schema_migrations` ORDER BY `version`
