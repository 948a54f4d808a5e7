-- A MariaDB table like fill.sql's (1,000,000 finished and 10,000 unfinished rows, the same
-- names, targets and state mix; no workflow, random UUID ids) for the overview's timings in
-- BENCHMARKS.md. Needs MariaDB's sequence engine (seq_1_to_N). For the prefix big_, migrated
-- first: orchestratum --database-url mysql://root@127.0.0.1:3306/bench --table-prefix big_ migrate
--   mysql -uroot -h127.0.0.1 bench < bench/dashboard/fill-mariadb.sql   (about 17 s)
INSERT INTO big_commands (id, target, name, input, output, scheduled_at, timeout, is_running,
    running_at, is_completed, completed_at, is_canceled, canceled_at, retries_left, is_failed,
    failed_at, attempt, last_error, last_outcome)
SELECT UUID(), tgt, nm, CONCAT('{"user":', i % 5000, '}'), IF(st='completed','{"ok":true}',NULL),
       at, '00:00:30', 0, at, st='completed', IF(st='completed', at, NULL),
       st='canceled', IF(st='canceled', at, NULL), 0, st='failed', IF(st='failed', at, NULL),
       1, IF(st='failed', 'connection refused', NULL), st
FROM (SELECT seq AS i, UTC_TIMESTAMP(6) - INTERVAL (3600 + (1000000 - seq) * 2.5) SECOND AS at,
        CASE WHEN seq % 100 < 50 THEN 'email.send' WHEN seq % 100 < 75 THEN 'invoice.render'
             WHEN seq % 100 < 90 THEN 'webhook.deliver' WHEN seq % 100 < 99 THEN 'thumbnail.make'
             WHEN seq % 1000 = 99 THEN 'report.yearly' ELSE 'cache.warm' END AS nm,
        CASE WHEN seq % 10 < 7 THEN 'default' WHEN seq % 10 < 9 THEN 'media'
             WHEN seq % 1000 = 9 THEN 'gpu' ELSE 'batch' END AS tgt,
        CASE WHEN seq % 50 < 2 THEN 'failed' WHEN seq % 50 = 2 THEN 'canceled' ELSE 'completed' END AS st
      FROM seq_1_to_1000000) AS r;
INSERT INTO big_commands (id, target, name, input, scheduled_at, timeout, is_running, running_at,
    run_expires_at, is_completed, is_canceled, retries_left, is_failed, attempt)
SELECT UUID(), CASE WHEN seq % 10 < 7 THEN 'default' WHEN seq % 10 < 9 THEN 'media' ELSE 'batch' END,
       CASE WHEN seq % 100 < 50 THEN 'email.send' WHEN seq % 100 < 75 THEN 'invoice.render' ELSE 'webhook.deliver' END,
       '{}',
       IF(seq > 8000 AND seq <= 9500, UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, UTC_TIMESTAMP(6) - INTERVAL (10000 - seq) * 0.3 SECOND),
       '00:00:30', seq > 9500, IF(seq > 9500, UTC_TIMESTAMP(6) - INTERVAL 10 SECOND, NULL),
       CASE WHEN seq > 9750 THEN UTC_TIMESTAMP(6) + INTERVAL 1 MINUTE WHEN seq > 9500 THEN UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE END,
       0, 0, 3, 0, IF(seq > 9500, 1, 0)
FROM seq_1_to_10000;
INSERT INTO big_stats (minute, name, outcome, n, run_us)
SELECT FLOOR(UNIX_TIMESTAMP() / 60) - m.seq, nm.name, oc.outcome, IF(oc.outcome='completed', 40 + m.seq % 17, m.seq % 3), 1000
FROM seq_0_to_1439 AS m,
     (SELECT 'email.send' AS name UNION ALL SELECT 'invoice.render' UNION ALL SELECT 'webhook.deliver') AS nm,
     (SELECT 'completed' AS outcome UNION ALL SELECT 'failed') AS oc;
ANALYZE TABLE big_commands;
ANALYZE TABLE big_stats;
