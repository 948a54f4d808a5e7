-- Locks a name's control row for the rest of a fleet-limited claim: claims of this name from
-- every instance take their turn here.
SELECT name FROM `{prefix}controls` WHERE name = ? FOR UPDATE
