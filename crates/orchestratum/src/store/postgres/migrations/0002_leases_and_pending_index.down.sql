-- Undoes version 2: drops only what it added (our columns and indexes) and restores the
-- reference's indexes. The reference columns and their data are untouched.
DROP INDEX "IX_{prefix}commands_parent_id";
DROP INDEX "IX_{prefix}commands_unfinished";
ALTER TABLE "{prefix}commands"
    DROP COLUMN attempt,
    DROP COLUMN lease_token,
    DROP COLUMN last_error,
    DROP COLUMN last_outcome,
    DROP COLUMN parent_id,
    DROP COLUMN cancel_requested_at;
CREATE INDEX "IX_{prefix}commands_is_completed" ON "{prefix}commands" (is_completed);
CREATE INDEX "IX_{prefix}commands_is_failed" ON "{prefix}commands" (is_failed);
CREATE INDEX "IX_{prefix}commands_is_running" ON "{prefix}commands" (is_running);
