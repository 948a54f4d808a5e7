-- The database's clock, from which registration computes a new schedule's first run.
SELECT strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS db_now
