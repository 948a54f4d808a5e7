-- The worker that holds (or last held) each command's lease, set by the claim: with
-- `running_at` and `completed_at` it is the record of a successful run.
ALTER TABLE "{prefix}commands" ADD COLUMN "worker_id" TEXT NULL;
