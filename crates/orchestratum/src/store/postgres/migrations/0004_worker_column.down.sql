-- Undoes version 4.
ALTER TABLE "{prefix}commands" DROP COLUMN worker_id;
