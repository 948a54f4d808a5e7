-- Resumes name $1 and wakes every instance that handles it (`resume:<name>` on channel $2):
-- their claims skipped it while it was paused.
WITH k AS (
    INSERT INTO "{prefix}controls" AS k (name, paused, paused_at, updated_at)
    VALUES ($1, false, NULL, now())
    ON CONFLICT (name) DO UPDATE SET paused = false, paused_at = NULL, updated_at = now()
    RETURNING name, paused, paused_at, fleet_limit, updated_at
)
SELECT k.name, k.paused, k.paused_at, k.fleet_limit, k.updated_at,
       pg_notify($2, 'resume:' || k.name)::text AS notified
FROM k
