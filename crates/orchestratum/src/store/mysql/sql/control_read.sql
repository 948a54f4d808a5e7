-- One control row.
SELECT name, paused, paused_at, fleet_limit, updated_at FROM `{prefix}controls` WHERE name = ?
