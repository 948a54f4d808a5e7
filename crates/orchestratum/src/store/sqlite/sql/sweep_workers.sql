-- Forgets the workers whose heartbeat is older than three of their leases: they are gone.
DELETE FROM "{prefix}workers"
WHERE "heartbeat_at" < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                format('%+.3f seconds', -3 * "lease_ms" / 1000.0))
