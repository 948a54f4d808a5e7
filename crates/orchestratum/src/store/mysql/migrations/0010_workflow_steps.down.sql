-- Undoes version 10.
DROP TABLE `{prefix}workflow_steps`
