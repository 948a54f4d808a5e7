-- Every registered worker; `alive` while its heartbeat is within three of its leases.
SELECT worker_id, instance_key, host, pid, version, names, max_command_pull::bigint AS max_command_pull,
       lease_ms, started_at, heartbeat_at, in_flight::bigint AS in_flight,
       heartbeat_at >= now() - 3 * lease_ms * interval '1 millisecond' AS alive
FROM "{prefix}workers"
ORDER BY instance_key, started_at, worker_id
