SELECT count(to_regclass('"{prefix}commands"')) AS n
