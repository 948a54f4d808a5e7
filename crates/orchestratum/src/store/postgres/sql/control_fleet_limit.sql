-- Records the fleet limit $2 an instance starts with for name $1, for operators to see.
INSERT INTO "{prefix}controls" AS k (name, fleet_limit, updated_at)
VALUES ($1, $2, now())
ON CONFLICT (name) DO UPDATE SET fleet_limit = $2, updated_at = now()
