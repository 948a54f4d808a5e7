-- Extends by ?2 microseconds the leases still held (id and token match), given as a JSON array
-- of {id, token}.
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id', token varchar(36) PATH '$.token')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
SET c.run_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND
WHERE c.lease_token = CONVERT(j.token USING ascii) AND c.is_running
