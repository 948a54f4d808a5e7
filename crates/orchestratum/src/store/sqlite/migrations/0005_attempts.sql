-- One row per run that did not succeed and per lapsed lease (see the PostgreSQL migration).
CREATE TABLE "{prefix}attempts" (
    "command_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "worker_id" TEXT NULL,
    "started_at" TEXT NULL,
    "ended_at" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "error" TEXT NULL,
    CONSTRAINT "PK_{prefix}attempts" PRIMARY KEY ("command_id", "attempt")
);
-- A claim that takes back a lapsed lease records the lapsed run. PostgreSQL and MySQL do it in
-- the claim's own statements; SQLite's claim is one UPDATE, which cannot also insert.
CREATE TRIGGER "{prefix}commands_lapsed_run" AFTER UPDATE OF "lease_token" ON "{prefix}commands"
WHEN OLD."is_running" AND NEW."is_running" AND NEW."attempt" = OLD."attempt" + 1
BEGIN
    INSERT OR IGNORE INTO "{prefix}attempts"
        ("command_id", "attempt", "worker_id", "started_at", "ended_at", "outcome", "error")
    VALUES (OLD."id", OLD."attempt", OLD."worker_id", OLD."running_at",
            COALESCE(OLD."run_expires_at", strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
            'lease_expired', 'lease expired: the worker running it stopped renewing');
END;
-- Attempts go with their command (SQLite enforces foreign keys only on connections that ask).
CREATE TRIGGER "{prefix}commands_attempts_deleted" AFTER DELETE ON "{prefix}commands"
BEGIN
    DELETE FROM "{prefix}attempts" WHERE "command_id" = OLD."id";
END;
