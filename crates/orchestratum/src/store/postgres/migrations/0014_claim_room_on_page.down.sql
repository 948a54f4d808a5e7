-- Undoes version 14: version 3's fillfactor.
ALTER TABLE "{prefix}commands" SET (fillfactor = 70);
