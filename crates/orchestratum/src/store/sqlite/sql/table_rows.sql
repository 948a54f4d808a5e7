-- The commands table's rows, counted exactly: SQLite keeps no row estimate outside ANALYZE,
-- and the count walks the smallest index (about 45 ms for 1,000,000 rows, BENCHMARKS.md).
SELECT count(*) AS n FROM "{prefix}commands"
