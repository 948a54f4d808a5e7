-- Priorities and unique commands (see the PostgreSQL migration): defaulted or nullable columns,
-- the claim index in the claim's new order, and a partial unique index on the key among the
-- rows whose state is in their own set (`unique_states`: 1 completed, 2 failed, 4 canceled;
-- unfinished rows always hold their key).
ALTER TABLE "{prefix}commands" ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "{prefix}commands" ADD COLUMN "unique_key" TEXT NULL;
ALTER TABLE "{prefix}commands" ADD COLUMN "unique_states" INTEGER NOT NULL DEFAULT 0;
DROP INDEX "IX_{prefix}commands_claim";
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands"
    ("target", "priority" DESC, "scheduled_at", "id")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled";
CREATE UNIQUE INDEX "UX_{prefix}commands_unique_key" ON "{prefix}commands" ("unique_key")
    WHERE "unique_key" IS NOT NULL
      AND ((NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled")
           OR ("is_completed" AND "unique_states" & 1 <> 0)
           OR ("is_failed" AND "unique_states" & 2 <> 0)
           OR ("is_canceled" AND "unique_states" & 4 <> 0));
