-- Records the fleet limit (second ?) an instance starts with for a name, for operators to see.
INSERT INTO `{prefix}controls` (name, fleet_limit, updated_at)
VALUES (?, ?, UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE fleet_limit = VALUES(fleet_limit), updated_at = UTC_TIMESTAMP(6)
