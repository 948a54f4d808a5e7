-- Held until the migration transaction ends: instances starting at once migrate one at a time.
SELECT pg_advisory_xact_lock(hashtext('orchestratum:migrate:' || $1))
