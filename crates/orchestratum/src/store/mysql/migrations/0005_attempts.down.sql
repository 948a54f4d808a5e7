-- Undoes version 5.
DROP TABLE `{prefix}attempts`
