-- Flow control by command name: whether it is paused (the claim skips paused names) and the
-- fleet-wide concurrency limit the last instance to start with one recorded (for operators;
-- each instance enforces its own configured limit, locking this row in its claim).
CREATE TABLE "{prefix}controls" (
    name text NOT NULL,
    paused boolean NOT NULL DEFAULT false,
    paused_at timestamp with time zone NULL,
    fleet_limit integer NULL,
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "PK_{prefix}controls" PRIMARY KEY (name)
);
