-- Resumes name ?1.
INSERT INTO "{prefix}controls" AS k (name, paused, paused_at, updated_at)
VALUES (?1, 0, NULL, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
ON CONFLICT (name) DO UPDATE SET paused = 0, paused_at = NULL, updated_at = excluded.updated_at
RETURNING name, paused, paused_at, fleet_limit, updated_at
