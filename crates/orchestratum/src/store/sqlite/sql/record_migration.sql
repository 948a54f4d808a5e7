INSERT INTO "{prefix}schema_migrations" ("version", "description") VALUES (?1, ?2)
