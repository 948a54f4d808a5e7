-- Every control row, by name.
SELECT name, paused, paused_at, fleet_limit, updated_at
FROM "{prefix}controls"
ORDER BY name
