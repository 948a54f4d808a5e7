SELECT `version` FROM `{prefix}schema_migrations` ORDER BY `version`
