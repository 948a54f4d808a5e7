-- One row per run that did not succeed (failed, timed out, canceled, released, refused) and
-- per lapsed lease, written in the same transaction as the outcome or the claim that ended it.
-- Rows go with their command.
CREATE TABLE "{prefix}attempts" (
    command_id uuid NOT NULL REFERENCES "{prefix}commands" (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    worker_id uuid NULL,
    started_at timestamp with time zone NULL,
    ended_at timestamp with time zone NOT NULL,
    outcome text NOT NULL,
    error text NULL,
    CONSTRAINT "PK_{prefix}attempts" PRIMARY KEY (command_id, attempt)
);
