-- Workflow edges (see the PostgreSQL migration). Rows go with either command.
CREATE TABLE "{prefix}workflow_edges" (
    "parent_id" TEXT NOT NULL,
    "child_id" TEXT NOT NULL,
    "policy" INTEGER NOT NULL DEFAULT 0,
    "resolved" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "PK_{prefix}workflow_edges" PRIMARY KEY ("parent_id", "child_id")
);
CREATE INDEX "IX_{prefix}workflow_edges_child" ON "{prefix}workflow_edges" ("child_id");
CREATE TRIGGER "{prefix}commands_edges_deleted" AFTER DELETE ON "{prefix}commands"
BEGIN
    DELETE FROM "{prefix}workflow_edges" WHERE "parent_id" = OLD."id" OR "child_id" = OLD."id";
END;
