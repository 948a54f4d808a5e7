-- Extends the leases still held (id and token match); the ones missing from the result are lost.
-- Ids come in upper case, as EF Core writes them; rows written in lower case match too.
UPDATE "{prefix}commands" SET
    run_expires_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', format('%+.6f seconds', ?2 / 1e6))
FROM (SELECT value ->> 'id' AS l_id, value ->> 'token' AS l_token FROM jsonb_each(jsonb(?1))) AS l
WHERE id IN (l.l_id, lower(l.l_id)) AND lease_token = l.l_token AND is_running
RETURNING id, cancel_requested_at IS NOT NULL AS cancel_requested
