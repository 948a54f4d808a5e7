-- InnoDB's estimate of the commands table's rows, not a count (sampled index statistics;
-- MySQL 8 caches it for `information_schema_stats_expiry`, a day by default).
SELECT CAST(COALESCE(MAX(TABLE_ROWS), 0) AS SIGNED) AS n FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{prefix}commands'
