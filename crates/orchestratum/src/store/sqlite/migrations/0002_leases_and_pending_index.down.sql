-- Undoes version 2: drops only what it added (our columns and indexes) and restores the
-- reference's indexes. The reference columns and their data are untouched. An index on a
-- column must go before the column (SQLite refuses to drop an indexed column).
DROP INDEX "IX_{prefix}commands_parent_id";
DROP INDEX "IX_{prefix}commands_unfinished";
ALTER TABLE "{prefix}commands" DROP COLUMN "attempt";
ALTER TABLE "{prefix}commands" DROP COLUMN "lease_token";
ALTER TABLE "{prefix}commands" DROP COLUMN "last_error";
ALTER TABLE "{prefix}commands" DROP COLUMN "last_outcome";
ALTER TABLE "{prefix}commands" DROP COLUMN "parent_id";
ALTER TABLE "{prefix}commands" DROP COLUMN "cancel_requested_at";
CREATE INDEX "IX_{prefix}commands_is_completed" ON "{prefix}commands" ("is_completed");
CREATE INDEX "IX_{prefix}commands_is_failed" ON "{prefix}commands" ("is_failed");
CREATE INDEX "IX_{prefix}commands_is_running" ON "{prefix}commands" ("is_running");
