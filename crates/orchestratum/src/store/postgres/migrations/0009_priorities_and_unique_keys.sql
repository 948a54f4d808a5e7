-- Priorities and unique commands. Every new column is defaulted or nullable, so the .NET
-- library's inserts stay valid (priority 0, not unique).
-- `unique_states` is a bitmask of the finished states the key stays taken in (1 completed,
-- 2 failed, 4 canceled); unfinished rows always hold their key, so that nothing the workers do
-- (a claim, a retry back to pending, a release) can ever run into the index.
ALTER TABLE "{prefix}commands"
    ADD COLUMN priority smallint NOT NULL DEFAULT 0,
    ADD COLUMN unique_key text NULL,
    ADD COLUMN unique_states smallint NOT NULL DEFAULT 0;
-- The claim now orders by (priority DESC, scheduled_at, id): the index follows that order so
-- the claim still stops after the rows it takes.
DROP INDEX "IX_{prefix}commands_claim";
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands"
    (target, priority DESC, scheduled_at, id)
    WHERE NOT is_completed AND NOT is_failed AND NOT is_canceled;
-- At most one row per key among the rows whose state is in their own set.
CREATE UNIQUE INDEX "UX_{prefix}commands_unique_key" ON "{prefix}commands" (unique_key)
    WHERE unique_key IS NOT NULL
      AND ((NOT is_completed AND NOT is_failed AND NOT is_canceled)
           OR (is_completed AND unique_states & 1 <> 0)
           OR (is_failed AND unique_states & 2 <> 0)
           OR (is_canceled AND unique_states & 4 <> 0));
