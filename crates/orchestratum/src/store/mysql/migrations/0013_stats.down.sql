-- Undoes version 13.
DROP TABLE `{prefix}stats`
