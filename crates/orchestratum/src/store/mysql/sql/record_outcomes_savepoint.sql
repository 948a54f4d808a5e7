-- Marks where a batch's outcomes start being written, so that a batch written whole before its
-- fences were known can be undone (`record_outcomes_undo`) when some fence did not hold, inside
-- the completer's transaction or a handler's own.
SAVEPOINT orchestratum_outcomes
