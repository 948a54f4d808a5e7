-- The workflow a command is a step of (see the PostgreSQL migration).
ALTER TABLE "{prefix}commands" ADD COLUMN "workflow_id" TEXT NULL;
