-- The claim orders by (scheduled_at, id): an index in exactly that order lets it stop after
-- the rows it takes. The reference's index on target serves no query of ours and costs every
-- insert. (SQLite has no autovacuum settings to tune; the name matches the other backends.)
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands" ("target", "scheduled_at", "id")
    WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled";
DROP INDEX "IX_{prefix}commands_unfinished";
DROP INDEX "IX_{prefix}commands_target";
