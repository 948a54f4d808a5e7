CREATE TABLE IF NOT EXISTS "{prefix}schema_migrations" (
    version bigint PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamp with time zone NOT NULL DEFAULT now()
)
