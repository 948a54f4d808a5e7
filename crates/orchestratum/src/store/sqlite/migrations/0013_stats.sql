-- Outcomes per minute by name and outcome (see the PostgreSQL migration).
CREATE TABLE "{prefix}stats" (
    "minute" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    "run_us" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "PK_{prefix}stats" PRIMARY KEY ("minute", "name", "outcome")
);
