-- Where a text search's scan budget ends: the ids of the (N + 1)-th and (N + 2)-th rows,
-- newest id first, of the ids at or above the lower bound and below the upper one (each bound
-- bound twice, skipped when NULL), N last. The first is the last row the page examines; the
-- second, if any, says older rows remain. The walk reads only the primary key.
SELECT id
FROM `{prefix}commands`
WHERE (? IS NULL OR id >= ?)
  AND (? IS NULL OR id < ?)
ORDER BY id DESC
LIMIT 2 OFFSET ?
