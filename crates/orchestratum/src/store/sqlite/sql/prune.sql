-- Deletes up to ?3 finished commands that finished more than ?1 microseconds ago; ?2 keeps
-- one final state ('completed', 'failed' or 'canceled'), NULL all three.
DELETE FROM "{prefix}commands" WHERE id IN (
    SELECT id FROM "{prefix}commands"
    WHERE (is_completed AND completed_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                                    format('%+.6f seconds', -?1 / 1e6))
           AND (?2 IS NULL OR ?2 = 'completed'))
       OR (is_failed AND failed_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                              format('%+.6f seconds', -?1 / 1e6))
           AND (?2 IS NULL OR ?2 = 'failed'))
       OR (is_canceled AND canceled_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                                  format('%+.6f seconds', -?1 / 1e6))
           AND (?2 IS NULL OR ?2 = 'canceled'))
    LIMIT ?3
)
