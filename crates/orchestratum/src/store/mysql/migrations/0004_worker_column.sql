-- The worker that holds (or last held) each command's lease, set by the claim: with
-- `running_at` and `completed_at` it is the record of a successful run.
ALTER TABLE `{prefix}commands`
    ADD COLUMN `worker_id` char(36) CHARACTER SET ascii COLLATE ascii_general_ci NULL DEFAULT NULL
