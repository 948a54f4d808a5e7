SELECT to_regclass('"{prefix}commands"') IS NOT NULL
