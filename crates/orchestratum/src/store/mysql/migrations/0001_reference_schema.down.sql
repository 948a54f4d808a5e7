-- Undoes version 1: drops the reference table and every command in it. Runs only when forced.
DROP TABLE `{prefix}commands`
