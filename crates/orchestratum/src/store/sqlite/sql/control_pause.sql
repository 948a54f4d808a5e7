-- Pauses name ?1 (creating its row if no command has it yet); pausing again keeps the first
-- paused_at.
INSERT INTO "{prefix}controls" AS k (name, paused, paused_at, updated_at)
VALUES (?1, 1, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
ON CONFLICT (name) DO UPDATE SET
    paused = 1,
    paused_at = COALESCE(k.paused_at, excluded.paused_at),
    updated_at = excluded.updated_at
RETURNING name, paused, paused_at, fleet_limit, updated_at
