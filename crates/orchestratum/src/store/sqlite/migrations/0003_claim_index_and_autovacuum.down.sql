-- Undoes version 3: restores version 2's indexes.
CREATE INDEX "IX_{prefix}commands_target" ON "{prefix}commands" ("target");
CREATE INDEX "IX_{prefix}commands_unfinished" ON "{prefix}commands" ("target", "scheduled_at")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled";
DROP INDEX "IX_{prefix}commands_claim";
