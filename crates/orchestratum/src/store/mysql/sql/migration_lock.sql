-- A session-level named lock on this database and prefix, waiting at most ?2 seconds: instances
-- starting at once migrate one at a time. 1 when taken, 0 on timeout. The name is hashed to stay
-- within MySQL's 64 characters.
SELECT GET_LOCK(CONCAT('orchestratum:', SHA1(CONCAT(COALESCE(DATABASE(), ''), '.', ?))), ?)
