-- Forgets the workers whose heartbeat is older than three of their leases: they are gone.
DELETE FROM "{prefix}workers" WHERE heartbeat_at < now() - 3 * lease_ms * interval '1 millisecond'
