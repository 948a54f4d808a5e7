-- Extends the leases still held (id and token match); the ones missing from the result are lost.
UPDATE "{prefix}commands" AS c SET run_expires_at = now() + $3 * interval '1 microsecond'
FROM unnest($1::uuid[], $2::uuid[]) AS l(id, token)
WHERE c.id = l.id AND c.lease_token = l.token AND c.is_running
RETURNING c.id, c.cancel_requested_at IS NOT NULL AS cancel_requested
