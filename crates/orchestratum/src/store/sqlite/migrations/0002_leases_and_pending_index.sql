-- Columns the guarantees need; each has a default so inserts of the reference columns work.
ALTER TABLE "{prefix}commands" ADD COLUMN "attempt" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "{prefix}commands" ADD COLUMN "lease_token" TEXT NULL;
ALTER TABLE "{prefix}commands" ADD COLUMN "last_error" TEXT NULL;
ALTER TABLE "{prefix}commands" ADD COLUMN "last_outcome" TEXT NULL;
ALTER TABLE "{prefix}commands" ADD COLUMN "parent_id" TEXT NULL;
ALTER TABLE "{prefix}commands" ADD COLUMN "cancel_requested_at" TEXT NULL;
-- Indexes on booleans serve no query and slow every state change.
DROP INDEX "IX_{prefix}commands_is_completed";
DROP INDEX "IX_{prefix}commands_is_failed";
DROP INDEX "IX_{prefix}commands_is_running";
CREATE INDEX "IX_{prefix}commands_unfinished" ON "{prefix}commands" ("target", "scheduled_at")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled";
CREATE INDEX "IX_{prefix}commands_parent_id" ON "{prefix}commands" ("parent_id")
    WHERE "parent_id" IS NOT NULL;
