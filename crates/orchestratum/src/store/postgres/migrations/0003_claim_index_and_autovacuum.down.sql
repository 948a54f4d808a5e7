-- Undoes version 3: restores version 2's indexes and the default autovacuum settings.
ALTER TABLE "{prefix}commands" RESET (
    autovacuum_vacuum_scale_factor,
    autovacuum_analyze_scale_factor,
    autovacuum_vacuum_insert_scale_factor,
    fillfactor
);
CREATE INDEX "IX_{prefix}commands_target" ON "{prefix}commands" (target);
CREATE INDEX "IX_{prefix}commands_unfinished" ON "{prefix}commands" (target, scheduled_at)
    WHERE NOT is_completed AND NOT is_failed AND NOT is_canceled;
DROP INDEX "IX_{prefix}commands_claim";
