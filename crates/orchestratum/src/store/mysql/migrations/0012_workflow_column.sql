-- The workflow a command is a step of (see the PostgreSQL migration). One statement.
ALTER TABLE `{prefix}commands`
    ADD COLUMN `workflow_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NULL DEFAULT NULL
