-- Records the steps (the third parameter, a JSON array) of workflow ?, named ?, whose commands
-- were just pushed.
INSERT INTO `{prefix}workflow_steps`
    (command_id, workflow_id, workflow_name, step_key, role, waiting, delay_us)
SELECT j.id, ?, ?, j.step_key, j.role, j.waiting, j.delay_us
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    step_key varchar(255) PATH '$.key',
    role smallint PATH '$.role',
    waiting int PATH '$.waiting',
    delay_us bigint PATH '$.delay_us')) AS j
