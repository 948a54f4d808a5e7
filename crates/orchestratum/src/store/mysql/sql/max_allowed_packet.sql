-- The largest packet the server accepts: a statement past it is refused (and may reset the connection).
SELECT @@max_allowed_packet
