-- The database's clock, from which registration computes a new schedule's first run.
SELECT UTC_TIMESTAMP(6)
