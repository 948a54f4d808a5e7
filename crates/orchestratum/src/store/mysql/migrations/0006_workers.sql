-- The worker registry (see the PostgreSQL migration).
CREATE TABLE `{prefix}workers` (
    `worker_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    `instance_key` varchar(255) CHARACTER SET utf8mb4 NOT NULL,
    `host` varchar(255) CHARACTER SET utf8mb4 NOT NULL,
    `pid` bigint NOT NULL,
    `version` varchar(64) CHARACTER SET utf8mb4 NOT NULL,
    `names` longtext CHARACTER SET utf8mb4 NOT NULL,
    `max_command_pull` int NOT NULL,
    `lease_ms` bigint NOT NULL,
    `started_at` datetime(6) NOT NULL,
    `heartbeat_at` datetime(6) NOT NULL,
    `in_flight` int NOT NULL,
    CONSTRAINT `PK_{prefix}workers` PRIMARY KEY (`worker_id`)
) CHARACTER SET=utf8mb4
