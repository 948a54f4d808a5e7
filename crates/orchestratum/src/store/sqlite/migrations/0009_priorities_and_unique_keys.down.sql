-- Undoes version 9: restores version 3's claim index.
DROP INDEX "UX_{prefix}commands_unique_key";
DROP INDEX "IX_{prefix}commands_claim";
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands" ("target", "scheduled_at", "id")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled";
ALTER TABLE "{prefix}commands" DROP COLUMN "unique_states";
ALTER TABLE "{prefix}commands" DROP COLUMN "unique_key";
ALTER TABLE "{prefix}commands" DROP COLUMN "priority";
