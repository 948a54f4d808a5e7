-- Registers a worker, or refreshes its heartbeat and in-flight count: an upsert, so a row
-- swept while its worker was stalled comes back with the next heartbeat.
INSERT INTO `{prefix}workers` (worker_id, instance_key, host, pid, version, names,
                               max_command_pull, lease_ms, started_at, heartbeat_at, in_flight)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)
ON DUPLICATE KEY UPDATE heartbeat_at = UTC_TIMESTAMP(6), in_flight = VALUES(in_flight)
