-- Deletes the buckets older than a minute (the stats retention).
DELETE FROM `{prefix}stats` WHERE minute < ?
