-- Undoes version 3: restores the reference's index on target.
ALTER TABLE `{prefix}commands` ADD INDEX `IX_{prefix}commands_target` (`target`)
