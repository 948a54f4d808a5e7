-- The .NET library's EF Core schema, column for column, so its databases are at version 1.
CREATE TABLE "{prefix}commands" (
    id uuid NOT NULL,
    target text NOT NULL,
    name text NOT NULL,
    input text NULL,
    output text NULL,
    scheduled_at timestamp with time zone NOT NULL,
    timeout interval NOT NULL,
    is_running boolean NOT NULL,
    running_at timestamp with time zone NULL,
    run_expires_at timestamp with time zone NULL,
    is_completed boolean NOT NULL,
    completed_at timestamp with time zone NULL,
    is_canceled boolean NOT NULL,
    canceled_at timestamp with time zone NULL,
    retries_left integer NOT NULL,
    is_failed boolean NOT NULL,
    failed_at timestamp with time zone NULL,
    CONSTRAINT "PK_{prefix}commands" PRIMARY KEY (id)
);
CREATE INDEX "IX_{prefix}commands_is_completed" ON "{prefix}commands" (is_completed);
CREATE INDEX "IX_{prefix}commands_is_failed" ON "{prefix}commands" (is_failed);
CREATE INDEX "IX_{prefix}commands_is_running" ON "{prefix}commands" (is_running);
CREATE INDEX "IX_{prefix}commands_target" ON "{prefix}commands" (target);
