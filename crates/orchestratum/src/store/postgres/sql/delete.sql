-- Deletes the command `delete_check` locked; its attempts, workflow step row and edges go
-- with it (ON DELETE CASCADE).
DELETE FROM "{prefix}commands" WHERE id = $1
