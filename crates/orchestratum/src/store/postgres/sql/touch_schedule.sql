-- An instance that has this schedule in its code says so.
UPDATE "{prefix}schedules" SET registered_at = now() WHERE name = $1
