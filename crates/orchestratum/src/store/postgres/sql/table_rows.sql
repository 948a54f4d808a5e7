-- The planner's estimate of the commands table's rows, not a count: its last ANALYZE or
-- VACUUM's rows per page times the pages the table has now (what the planner itself assumes),
-- or the statistics collector's live rows before the table was ever analyzed.
SELECT (CASE WHEN c.reltuples >= 0 AND c.relpages > 0
             THEN c.reltuples / c.relpages
                  * (pg_relation_size(c.oid) / current_setting('block_size')::float8)
             ELSE pg_stat_get_live_tuples(c.oid) END)::bigint AS n
FROM pg_class AS c
WHERE c.oid = to_regclass('"{prefix}commands"')
