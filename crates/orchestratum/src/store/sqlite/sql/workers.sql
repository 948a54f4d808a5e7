-- Every registered worker; `alive` while its heartbeat is within three of its leases.
SELECT "worker_id", "instance_key", "host", "pid", "version", "names", "max_command_pull",
       "lease_ms", "started_at", "heartbeat_at", "in_flight",
       "heartbeat_at" >= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                  format('%+.3f seconds', -3 * "lease_ms" / 1000.0)) AS alive
FROM "{prefix}workers"
ORDER BY "instance_key", "started_at", "worker_id"
