-- Deletes the buckets older than minute ?1 (the stats retention).
DELETE FROM "{prefix}stats" WHERE minute < ?1
