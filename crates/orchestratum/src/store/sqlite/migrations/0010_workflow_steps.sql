-- Workflow steps (see the PostgreSQL migration). Rows go with their command.
CREATE TABLE "{prefix}workflow_steps" (
    "command_id" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "workflow_name" TEXT NOT NULL,
    "step_key" TEXT NULL,
    "role" INTEGER NOT NULL DEFAULT 0,
    "waiting" INTEGER NOT NULL DEFAULT 0,
    "unmet" INTEGER NOT NULL DEFAULT 0,
    "delay_us" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "PK_{prefix}workflow_steps" PRIMARY KEY ("command_id")
);
CREATE INDEX "IX_{prefix}workflow_steps_workflow" ON "{prefix}workflow_steps" ("workflow_id");
-- SQLite enforces foreign keys only on connections that ask: a trigger deletes instead.
CREATE TRIGGER "{prefix}commands_steps_deleted" AFTER DELETE ON "{prefix}commands"
BEGIN
    DELETE FROM "{prefix}workflow_steps" WHERE "command_id" = OLD."id";
END;
