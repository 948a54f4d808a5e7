-- Version 14 sets PostgreSQL's fillfactor, which this backend does not have; the version is
-- kept so that every backend's schema counts the same versions.
SELECT 1;
