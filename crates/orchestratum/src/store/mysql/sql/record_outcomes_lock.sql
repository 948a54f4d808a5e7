-- Which outcomes of the batch (a JSON array of {id, token}) pass their fence, by position, and
-- locks their rows until the transaction ends. With a lease token, only the run holding it may
-- write; without one (a cancel of a command nobody runs), only while no live lease exists (a
-- row marked running without an expiry has none).
-- (MySQL types an ordinality as unsigned, MariaDB as signed: the cast makes both signed.)
SELECT CAST(j.pos AS SIGNED) AS pos
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    pos FOR ORDINALITY,
    id varchar(36) PATH '$.id',
    token varchar(36) PATH '$.token')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
WHERE c.is_completed = FALSE AND c.is_failed = FALSE AND c.is_canceled = FALSE
  AND CASE WHEN j.token IS NOT NULL THEN c.is_running AND c.lease_token = CONVERT(j.token USING ascii)
           ELSE NOT c.is_running OR c.run_expires_at IS NULL
                OR c.run_expires_at < UTC_TIMESTAMP(6) END
ORDER BY j.pos
FOR UPDATE
