-- Removes worker $1 at its shutdown.
DELETE FROM "{prefix}workers" WHERE worker_id = $1
