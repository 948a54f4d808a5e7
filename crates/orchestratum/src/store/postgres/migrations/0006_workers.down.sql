-- Undoes version 6.
DROP TABLE "{prefix}workers";
