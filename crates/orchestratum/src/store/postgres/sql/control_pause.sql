-- Pauses name $1 (creating its row if no command has it yet); pausing again keeps the first
-- paused_at.
INSERT INTO "{prefix}controls" AS k (name, paused, paused_at, updated_at)
VALUES ($1, true, now(), now())
ON CONFLICT (name) DO UPDATE SET
    paused = true,
    paused_at = COALESCE(k.paused_at, now()),
    updated_at = now()
RETURNING name, paused, paused_at, fleet_limit, updated_at
