-- The smallest target, one seek at the start of the unfinished index (MySQL has no partial
-- index, and MariaDB no skip scan or loose scan of an index with a descending part: the
-- overview walks the targets itself and reads each one's unfinished rows by equality).
SELECT MIN(target) AS target FROM `{prefix}commands`
