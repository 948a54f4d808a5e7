-- Removes a worker at its shutdown.
DELETE FROM `{prefix}workers` WHERE worker_id = ?
