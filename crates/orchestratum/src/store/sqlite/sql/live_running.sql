-- Runs of name ?1 under a live lease, anywhere; read inside the claim's IMMEDIATE transaction,
-- so no other claim commits between this count and the claim.
SELECT count(*) FROM "{prefix}commands"
WHERE name = ?1 AND is_running AND run_expires_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND scheduled_at < '9999-01-01'
