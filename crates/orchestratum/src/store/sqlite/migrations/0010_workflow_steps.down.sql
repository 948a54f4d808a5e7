-- Undoes version 10.
DROP TRIGGER "{prefix}commands_steps_deleted";
DROP TABLE "{prefix}workflow_steps";
