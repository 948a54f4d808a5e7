-- The workflow a command is a step of (see the PostgreSQL migration), and the claim index
-- without the steps waiting for their parents (due in the year 9999).
ALTER TABLE "{prefix}commands" ADD COLUMN "workflow_id" TEXT NULL;
DROP INDEX "IX_{prefix}commands_claim";
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands"
    ("target", "priority" DESC, "scheduled_at", "id")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled"
      AND "scheduled_at" < '9999-01-01';
