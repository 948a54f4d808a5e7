-- Undoes version 7.
DROP TABLE "{prefix}controls";
