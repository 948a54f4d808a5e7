-- Undoes a batch's outcomes written since `record_outcomes_savepoint`.
ROLLBACK TO SAVEPOINT orchestratum_outcomes
