-- Every registered worker; `alive` while its heartbeat is within three of its leases.
SELECT worker_id, instance_key, host, pid, version, names,
       CAST(max_command_pull AS SIGNED) AS max_command_pull, lease_ms, started_at, heartbeat_at,
       CAST(in_flight AS SIGNED) AS in_flight,
       heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL (3 * lease_ms * 1000) MICROSECOND AS alive
FROM `{prefix}workers`
ORDER BY instance_key, started_at, worker_id
