-- Cron and interval schedules (see the PostgreSQL migration). Instants are UTC text in the
-- commands table's format, so comparing them as text compares instants.
CREATE TABLE "{prefix}schedules" (
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "expression" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "misfire" TEXT NOT NULL,
    "command_name" TEXT NOT NULL,
    "command_input" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "timeout_us" INTEGER NOT NULL,
    "retries" INTEGER NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "unique_key" TEXT NULL,
    "unique_states" INTEGER NOT NULL DEFAULT 0,
    "next_run_at" TEXT NOT NULL,
    "last_run_at" TEXT NULL,
    "paused" INTEGER NOT NULL DEFAULT 0,
    "registered_at" TEXT NOT NULL,
    CONSTRAINT "PK_{prefix}schedules" PRIMARY KEY ("name")
);
