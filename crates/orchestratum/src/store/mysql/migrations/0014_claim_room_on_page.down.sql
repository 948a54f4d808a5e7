-- Undoes version 14: nothing to undo on this backend.
SELECT 1;
