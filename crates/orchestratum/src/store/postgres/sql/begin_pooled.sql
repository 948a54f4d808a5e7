-- Begins a transaction behind a pooler, which refuses the startup parameter that sets this for
-- a direct session: one simple query, one round trip. 60000 ms is IDLE_IN_TRANSACTION_TIMEOUT.
BEGIN; SET LOCAL idle_in_transaction_session_timeout = 60000
