-- The claim orders by (scheduled_at, id): an index in exactly that order lets it stop after
-- the rows it takes instead of sorting every pending row. The reference's index on target serves
-- no query of ours (the partial index leads with target) and costs every insert.
CREATE INDEX "IX_{prefix}commands_claim" ON "{prefix}commands" (target, scheduled_at, id)
    WHERE NOT is_completed AND NOT is_failed AND NOT is_canceled;
DROP INDEX "IX_{prefix}commands_unfinished";
DROP INDEX "IX_{prefix}commands_target";
-- A queue table churns: every command is updated twice. Vacuum and analyze it far more often
-- than the defaults (20 % / 10 % of the table) so dead rows and stale statistics do not slow
-- the claim. Free space on each page lets the claim's update (which changes no indexed column)
-- stay on its page as a HOT update, without new index entries.
ALTER TABLE "{prefix}commands" SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    fillfactor = 70
);
