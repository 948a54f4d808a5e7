-- Deletes the command `delete_check` locked; its attempts and edges go with it (foreign keys
-- ON DELETE CASCADE), and so does its workflow step row.
DELETE FROM `{prefix}commands` WHERE id = ?
