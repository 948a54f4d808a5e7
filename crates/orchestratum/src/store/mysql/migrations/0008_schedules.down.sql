-- Undoes version 8.
DROP TABLE `{prefix}schedules`
