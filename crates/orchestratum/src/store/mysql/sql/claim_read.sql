-- Reads back the rows `claim` just leased (ids as a JSON array), in claim order.
SELECT c.id, c.name, c.input, c.timeout, c.retries_left, c.attempt, c.lease_token, c.workflow_id,
       c.cancel_requested_at IS NOT NULL AS cancel_requested,
       TIMESTAMPDIFF(MICROSECOND, c.scheduled_at, UTC_TIMESTAMP(6)) AS queue_wait_us
FROM JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$.id', token varchar(36) PATH '$.token')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii) AND c.lease_token = CONVERT(j.token USING ascii)
ORDER BY c.priority DESC, c.scheduled_at, c.id
