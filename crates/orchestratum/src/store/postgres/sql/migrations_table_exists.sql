SELECT count(to_regclass('"{prefix}schema_migrations"')) AS n
