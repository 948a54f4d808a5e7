-- Workflow edges: the child waits for the parent. `policy` says what the child does when the
-- parent ends without success: 0 it is canceled, 1 it runs anyway. `resolved` is set when the
-- parent's end has been counted in the child's step row, so that an end is counted once even
-- if an operator retries the parent and it ends again. Rows go with either command.
CREATE TABLE "{prefix}workflow_edges" (
    parent_id uuid NOT NULL REFERENCES "{prefix}commands" (id) ON DELETE CASCADE,
    child_id uuid NOT NULL REFERENCES "{prefix}commands" (id) ON DELETE CASCADE,
    policy smallint NOT NULL DEFAULT 0,
    resolved boolean NOT NULL DEFAULT false,
    CONSTRAINT "PK_{prefix}workflow_edges" PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX "IX_{prefix}workflow_edges_child" ON "{prefix}workflow_edges" (child_id);
