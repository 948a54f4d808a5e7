-- The target after the given one in the column's collation (a seek in the unfinished index);
-- NULL after the last. Targets equal in the collation are one step, and each is read whole by
-- `overview_unfinished.sql`'s equality.
SELECT MIN(target) AS target FROM `{prefix}commands` WHERE target > ?
