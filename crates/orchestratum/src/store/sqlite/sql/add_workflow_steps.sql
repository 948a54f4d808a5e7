-- Records the steps (a JSON array) of workflow ?1, named ?2, whose commands were just pushed.
INSERT INTO "{prefix}workflow_steps"
    (command_id, workflow_id, workflow_name, step_key, role, waiting, delay_us)
SELECT j.value ->> 'id', ?1, ?2, j.value ->> 'key', j.value ->> 'role', j.value ->> 'waiting',
       j.value ->> 'delay_us'
FROM json_each(?3) AS j
