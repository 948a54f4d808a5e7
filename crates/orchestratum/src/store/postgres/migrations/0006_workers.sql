-- The worker registry: each running instance's row, refreshed with its lease renewals and
-- removed at shutdown; rows whose heartbeat is older than three of their leases are gone.
CREATE TABLE "{prefix}workers" (
    worker_id uuid NOT NULL,
    instance_key text NOT NULL,
    host text NOT NULL,
    pid bigint NOT NULL,
    version text NOT NULL,
    names text NOT NULL,
    max_command_pull integer NOT NULL,
    lease_ms bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    heartbeat_at timestamp with time zone NOT NULL,
    in_flight integer NOT NULL,
    CONSTRAINT "PK_{prefix}workers" PRIMARY KEY (worker_id)
);
