CREATE TABLE IF NOT EXISTS "{prefix}schema_migrations" (
    "version" INTEGER PRIMARY KEY,
    "description" TEXT NOT NULL,
    "applied_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
)
