DELETE FROM `{prefix}schema_migrations` WHERE `version` = ?
