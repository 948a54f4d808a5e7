-- Outcomes per minute, by command name and outcome, added to by every worker's periodic flush
-- (decision 0018). Kept apart from the commands table, so pruning finished commands leaves the
-- history of what ran. `minute` counts minutes since the Unix epoch (UTC, the worker's clock);
-- `run_us` sums the handler run time of the counted outcomes, in microseconds.
CREATE TABLE "{prefix}stats" (
    minute bigint NOT NULL,
    name text NOT NULL,
    outcome text NOT NULL,
    n bigint NOT NULL,
    run_us bigint NOT NULL DEFAULT 0,
    CONSTRAINT "PK_{prefix}stats" PRIMARY KEY (minute, name, outcome)
);
