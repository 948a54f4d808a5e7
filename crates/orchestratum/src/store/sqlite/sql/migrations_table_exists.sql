SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '{prefix}schema_migrations'
