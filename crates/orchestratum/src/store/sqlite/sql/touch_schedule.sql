-- An instance that has this schedule in its code says so.
UPDATE "{prefix}schedules" SET "registered_at" = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') WHERE "name" = ?1
