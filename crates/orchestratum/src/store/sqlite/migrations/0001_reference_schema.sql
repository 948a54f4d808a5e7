-- The .NET library's EF Core schema as its SQLite provider makes it.
CREATE TABLE "{prefix}commands" (
    "id" TEXT NOT NULL CONSTRAINT "PK_{prefix}commands" PRIMARY KEY,
    "target" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "input" TEXT NULL,
    "output" TEXT NULL,
    "scheduled_at" TEXT NOT NULL,
    "timeout" TEXT NOT NULL,
    "is_running" INTEGER NOT NULL,
    "running_at" TEXT NULL,
    "run_expires_at" TEXT NULL,
    "is_completed" INTEGER NOT NULL,
    "completed_at" TEXT NULL,
    "is_canceled" INTEGER NOT NULL,
    "canceled_at" TEXT NULL,
    "retries_left" INTEGER NOT NULL,
    "is_failed" INTEGER NOT NULL,
    "failed_at" TEXT NULL
);
CREATE INDEX "IX_{prefix}commands_is_completed" ON "{prefix}commands" ("is_completed");
CREATE INDEX "IX_{prefix}commands_is_failed" ON "{prefix}commands" ("is_failed");
CREATE INDEX "IX_{prefix}commands_is_running" ON "{prefix}commands" ("is_running");
CREATE INDEX "IX_{prefix}commands_target" ON "{prefix}commands" ("target");
