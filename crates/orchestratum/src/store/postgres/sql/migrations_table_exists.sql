SELECT to_regclass('"{prefix}schema_migrations"') IS NOT NULL
