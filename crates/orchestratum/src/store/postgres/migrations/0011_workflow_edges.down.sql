-- Undoes version 11.
DROP TABLE "{prefix}workflow_edges";
