-- Deletes the command `delete_check` read (?1, its id as stored); triggers delete its
-- attempts, workflow step row and edges.
DELETE FROM "{prefix}commands" WHERE id = ?1
