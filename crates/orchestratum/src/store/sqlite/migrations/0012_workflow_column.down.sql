-- Undoes version 12: restores version 9's claim index.
DROP INDEX "IX_{prefix}commands_claim";
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands"
    ("target", "priority" DESC, "scheduled_at", "id")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled";
ALTER TABLE "{prefix}commands" DROP COLUMN "workflow_id";
