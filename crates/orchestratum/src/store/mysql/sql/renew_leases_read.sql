-- The leases of the batch still held after `renew_leases` (a token never comes back, so a row
-- that holds its token now held it then, and was renewed); the ones missing are lost.
SELECT c.id, c.cancel_requested_at IS NOT NULL AS cancel_requested
FROM JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id', token varchar(36) PATH '$.token')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
WHERE c.lease_token = CONVERT(j.token USING ascii) AND c.is_running
