-- Forgets the workers whose heartbeat is older than three of their leases: they are gone.
DELETE FROM `{prefix}workers`
WHERE heartbeat_at < UTC_TIMESTAMP(6) - INTERVAL (3 * lease_ms * 1000) MICROSECOND
