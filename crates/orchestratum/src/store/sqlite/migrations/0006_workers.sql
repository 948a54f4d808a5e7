-- The worker registry (see the PostgreSQL migration).
CREATE TABLE "{prefix}workers" (
    "worker_id" TEXT NOT NULL,
    "instance_key" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "names" TEXT NOT NULL,
    "max_command_pull" INTEGER NOT NULL,
    "lease_ms" INTEGER NOT NULL,
    "started_at" TEXT NOT NULL,
    "heartbeat_at" TEXT NOT NULL,
    "in_flight" INTEGER NOT NULL,
    CONSTRAINT "PK_{prefix}workers" PRIMARY KEY ("worker_id")
);
