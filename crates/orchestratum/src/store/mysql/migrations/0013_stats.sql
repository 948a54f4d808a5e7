-- Outcomes per minute by name and outcome (see the PostgreSQL migration). The name is
-- binary-collated, as the claim compares names; longer names are cut to 255 characters by the
-- worker before they are counted. One statement.
CREATE TABLE `{prefix}stats` (
    `minute` bigint NOT NULL,
    `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `outcome` varchar(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `n` bigint NOT NULL,
    `run_us` bigint NOT NULL DEFAULT 0,
    CONSTRAINT `PK_{prefix}stats` PRIMARY KEY (`minute`, `name`, `outcome`)
) CHARACTER SET=utf8mb4
