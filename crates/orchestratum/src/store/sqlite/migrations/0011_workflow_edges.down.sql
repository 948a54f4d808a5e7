-- Undoes version 11.
DROP TRIGGER "{prefix}commands_edges_deleted";
DROP TABLE "{prefix}workflow_edges";
