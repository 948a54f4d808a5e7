-- Workflow steps: one row per command pushed as a step of a workflow (or a batch), beside the
-- reference table. `waiting` counts the parents that have not ended yet and `unmet` those that
-- ended without success; both change in the finishing transaction of a parent, under this
-- row's lock, so the last parent to end is the one that releases the step. `role` is 0 for a
-- step, 1 for the workflow's failure step (runs only if some step did not succeed). `delay_us`
-- is how long after its release the step becomes due. Rows go with their command.
CREATE TABLE "{prefix}workflow_steps" (
    command_id uuid NOT NULL REFERENCES "{prefix}commands" (id) ON DELETE CASCADE,
    workflow_id uuid NOT NULL,
    workflow_name text NOT NULL,
    step_key text NULL,
    role smallint NOT NULL DEFAULT 0,
    waiting integer NOT NULL DEFAULT 0,
    unmet integer NOT NULL DEFAULT 0,
    delay_us bigint NOT NULL DEFAULT 0,
    CONSTRAINT "PK_{prefix}workflow_steps" PRIMARY KEY (command_id)
);
CREATE INDEX "IX_{prefix}workflow_steps_workflow" ON "{prefix}workflow_steps" (workflow_id);
