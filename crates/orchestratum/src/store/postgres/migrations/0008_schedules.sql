-- Cron and interval schedules. Each row holds the whole command it pushes (name, input,
-- target, timeout, retries, priority, unique key), so any process can trigger it without the
-- code; `next_run_at`
-- is advanced by a compare-and-swap in the transaction that pushes, so each due time pushes
-- one command whatever the number of instances. `registered_at` is refreshed by the instances
-- that have the schedule in their code: an old one shows a schedule removed from it.
CREATE TABLE "{prefix}schedules" (
    name text NOT NULL,
    kind text NOT NULL,
    expression text NOT NULL,
    time_zone text NOT NULL,
    misfire text NOT NULL,
    command_name text NOT NULL,
    command_input text NOT NULL,
    target text NOT NULL,
    timeout_us bigint NOT NULL,
    retries integer NOT NULL,
    priority smallint NOT NULL DEFAULT 0,
    unique_key text NULL,
    unique_states smallint NOT NULL DEFAULT 0,
    next_run_at timestamp with time zone NOT NULL,
    last_run_at timestamp with time zone NULL,
    paused boolean NOT NULL DEFAULT false,
    registered_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_{prefix}schedules" PRIMARY KEY (name)
);
