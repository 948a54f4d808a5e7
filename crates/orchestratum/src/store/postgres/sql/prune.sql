-- Deletes up to $3 finished commands that finished more than $1 microseconds ago; $2 keeps
-- one final state ('completed', 'failed' or 'canceled'), NULL all three. Rows another
-- instance's retention is deleting are skipped, not waited for.
DELETE FROM "{prefix}commands" WHERE id IN (
    SELECT id FROM "{prefix}commands"
    WHERE (is_completed AND completed_at < now() - $1 * interval '1 microsecond'
           AND ($2::text IS NULL OR $2 = 'completed'))
       OR (is_failed AND failed_at < now() - $1 * interval '1 microsecond'
           AND ($2::text IS NULL OR $2 = 'failed'))
       OR (is_canceled AND canceled_at < now() - $1 * interval '1 microsecond'
           AND ($2::text IS NULL OR $2 = 'canceled'))
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
