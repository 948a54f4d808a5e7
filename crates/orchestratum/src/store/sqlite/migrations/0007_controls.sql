-- Flow control by command name (see the PostgreSQL migration).
CREATE TABLE "{prefix}controls" (
    "name" TEXT NOT NULL,
    "paused" INTEGER NOT NULL DEFAULT 0,
    "paused_at" TEXT NULL,
    "fleet_limit" INTEGER NULL,
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    CONSTRAINT "PK_{prefix}controls" PRIMARY KEY ("name")
);
