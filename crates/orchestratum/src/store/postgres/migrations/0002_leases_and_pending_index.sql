-- Columns the guarantees need; each has a default so the .NET library's inserts keep working.
ALTER TABLE "{prefix}commands"
    ADD COLUMN attempt integer NOT NULL DEFAULT 0,
    ADD COLUMN lease_token uuid NULL,
    ADD COLUMN last_error text NULL,
    ADD COLUMN last_outcome text NULL,
    ADD COLUMN parent_id uuid NULL,
    ADD COLUMN cancel_requested_at timestamp with time zone NULL;
-- Indexes on booleans serve no query and slow every state change; the claim uses the partial
-- index below, which holds only unfinished rows.
DROP INDEX "IX_{prefix}commands_is_completed";
DROP INDEX "IX_{prefix}commands_is_failed";
DROP INDEX "IX_{prefix}commands_is_running";
CREATE INDEX "IX_{prefix}commands_unfinished" ON "{prefix}commands" (target, scheduled_at)
    WHERE NOT is_completed AND NOT is_failed AND NOT is_canceled;
CREATE INDEX "IX_{prefix}commands_parent_id" ON "{prefix}commands" (parent_id)
    WHERE parent_id IS NOT NULL;
