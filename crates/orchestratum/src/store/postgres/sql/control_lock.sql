-- Locks name $1's control row for the rest of a fleet-limited claim: claims of this name from
-- every instance take their turn here, so each counts the runs the one before it committed.
SELECT name FROM "{prefix}controls" WHERE name = $1 FOR UPDATE
