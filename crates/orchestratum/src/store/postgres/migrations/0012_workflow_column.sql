-- The workflow a command is a step of, so a claim and a read tell a step from a plain command
-- without a join. Nullable: the .NET library's inserts stay valid.
ALTER TABLE "{prefix}commands" ADD COLUMN workflow_id uuid NULL;
