-- Undoes version 5.
DROP TRIGGER "{prefix}commands_attempts_deleted";
DROP TRIGGER "{prefix}commands_lapsed_run";
DROP TABLE "{prefix}attempts";
