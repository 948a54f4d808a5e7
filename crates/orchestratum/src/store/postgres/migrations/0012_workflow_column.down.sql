-- Undoes version 12.
ALTER TABLE "{prefix}commands" DROP COLUMN workflow_id;
