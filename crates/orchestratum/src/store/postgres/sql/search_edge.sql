-- Where a text search's scan budget ends: the ids of the ($3 + 1)-th and ($3 + 2)-th rows,
-- newest id first, of the ids at or above $1 and below $2 (each bound skipped when NULL). The
-- first is the last row the page examines; the second, if any, says older rows remain. The
-- walk reads only the primary key.
SELECT id
FROM "{prefix}commands"
WHERE ($1::uuid IS NULL OR id >= $1)
  AND ($2::uuid IS NULL OR id < $2)
ORDER BY id DESC
LIMIT 2 OFFSET $3
