-- Registers worker ?1, or refreshes its heartbeat and in-flight count: an upsert, so a row
-- swept while its worker was stalled comes back with the next heartbeat.
INSERT INTO "{prefix}workers" ("worker_id", "instance_key", "host", "pid", "version", "names",
                               "max_command_pull", "lease_ms", "started_at", "heartbeat_at",
                               "in_flight")
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), ?9)
ON CONFLICT ("worker_id") DO UPDATE SET "heartbeat_at" = excluded."heartbeat_at",
                                        "in_flight" = excluded."in_flight"
