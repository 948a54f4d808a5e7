-- The database's clock, from which registration computes a new schedule's first run.
SELECT now()
