-- What deciding to delete command $1 needs, its row locked until the delete: whether a live
-- lease holds it (a row marked running without an expiry holds none), how many unfinished
-- steps wait for it, and, when it is unfinished, how many unfinished parents it waits for.
SELECT (c.is_running AND c.run_expires_at IS NOT NULL AND c.run_expires_at >= now()) AS running,
       (SELECT count(*) FROM "{prefix}workflow_edges" e
        JOIN "{prefix}commands" ch ON ch.id = e.child_id
        WHERE e.parent_id = c.id
          AND NOT ch.is_completed AND NOT ch.is_failed AND NOT ch.is_canceled) AS waited_on,
       CASE WHEN c.is_completed OR c.is_failed OR c.is_canceled THEN 0
            ELSE (SELECT count(*) FROM "{prefix}workflow_edges" e
                  JOIN "{prefix}commands" p ON p.id = e.parent_id
                  WHERE e.child_id = c.id
                    AND NOT p.is_completed AND NOT p.is_failed AND NOT p.is_canceled)
       END AS waiting_on,
       c.id AS id
FROM "{prefix}commands" c
WHERE c.id = $1
FOR UPDATE OF c
