-- Fills the commands table of prefix :prefix (migrated, empty) with 1,000,000 finished and
-- 10,000 unfinished rows, a 3-step workflow and 24 hours of per-minute stats, then ANALYZEs.
-- Run through bench/dashboard/run.sh. Ids are UUIDv7 built from each row's creation time, so
-- id order is creation order as in a real table.
\set ON_ERROR_STOP on
CREATE OR REPLACE FUNCTION pg_temp.v7(ms bigint, salt bigint) RETURNS uuid AS $$
    SELECT (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(salt::text), 1, 3) || '8'
            || substr(md5(salt::text), 4, 15))::uuid
$$ LANGUAGE sql IMMUTABLE;

-- 1,000,000 finished rows 2.5 s apart (about 29 days). Names: email.send 50 %,
-- invoice.render 25 %, webhook.deliver 15 %, thumbnail.make 9 %, cache.warm ~0.9 %,
-- report.yearly 0.1 % (1,000 rows, the rare name). Targets: default 70 %, media 20 %,
-- batch ~9.9 %, gpu 0.1 % (the rare target). 4 % failed with an error, 2 % canceled; ten
-- inputs hold the rare text "needle".
INSERT INTO :"commands" (id, target, name, input, output, scheduled_at, timeout, is_running,
    running_at, is_completed, completed_at, is_canceled, canceled_at, retries_left, is_failed,
    failed_at, attempt, last_error, last_outcome)
SELECT pg_temp.v7(ms, i), tgt, nm,
       json_build_object('user', i % 5000, 'order', 'ord-' || i,
                         'note', CASE WHEN i % 100000 = 7 THEN 'needle' ELSE 'hay' END)::text,
       CASE WHEN st = 'completed' THEN '{"ok":true}' END,
       at, interval '30 seconds', false, at,
       st = 'completed', CASE WHEN st = 'completed' THEN at + interval '1 second' END,
       st = 'canceled', CASE WHEN st = 'canceled' THEN at + interval '1 second' END,
       0, st = 'failed', CASE WHEN st = 'failed' THEN at + interval '1 second' END,
       CASE WHEN st = 'canceled' THEN 0 ELSE 1 END,
       CASE WHEN st = 'failed' THEN 'connection refused by host-' || (i % 97) END,
       CASE st WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' ELSE 'canceled' END
FROM (
    SELECT i, ms, to_timestamp(ms / 1000.0) AS at,
           CASE WHEN i % 100 < 50 THEN 'email.send'
                WHEN i % 100 < 75 THEN 'invoice.render'
                WHEN i % 100 < 90 THEN 'webhook.deliver'
                WHEN i % 100 < 99 THEN 'thumbnail.make'
                WHEN i % 1000 = 99 THEN 'report.yearly'
                ELSE 'cache.warm' END AS nm,
           CASE WHEN i % 10 < 7 THEN 'default'
                WHEN i % 10 < 9 THEN 'media'
                WHEN i % 1000 = 9 THEN 'gpu'
                ELSE 'batch' END AS tgt,
           CASE WHEN i % 50 < 2 THEN 'failed' WHEN i % 50 = 2 THEN 'canceled'
                ELSE 'completed' END AS st
    FROM (SELECT i, (extract(epoch FROM now()) * 1000)::bigint - 3600000
                    - (1000000 - i)::bigint * 2500 AS ms
          FROM generate_series(1, 1000000) AS i) AS g
) AS r;

-- 10,000 unfinished rows created in the last hour: 8,000 pending, 1,500 scheduled in the
-- next hour, 250 running under a live lease, 250 whose lease lapsed.
INSERT INTO :"commands" (id, target, name, input, scheduled_at, timeout, is_running, running_at,
    run_expires_at, is_completed, is_canceled, retries_left, is_failed, attempt)
SELECT pg_temp.v7(ms, 2000000 + j),
       CASE WHEN j % 10 < 7 THEN 'default' WHEN j % 10 < 9 THEN 'media' ELSE 'batch' END,
       CASE WHEN j % 100 < 50 THEN 'email.send' WHEN j % 100 < 75 THEN 'invoice.render'
            ELSE 'webhook.deliver' END,
       json_build_object('user', j % 5000, 'order', 'ord-u' || j)::text,
       CASE WHEN j > 8000 AND j <= 9500 THEN now() + interval '1 hour'
            ELSE to_timestamp(ms / 1000.0) END,
       interval '30 seconds', j > 9500,
       CASE WHEN j > 9500 THEN now() - interval '10 seconds' END,
       CASE WHEN j > 9750 THEN now() + interval '1 minute'
            WHEN j > 9500 THEN now() - interval '1 minute' END,
       false, false, 3, false, CASE WHEN j > 9500 THEN 1 ELSE 0 END
FROM (SELECT j, (extract(epoch FROM now()) * 1000)::bigint - (10000 - j) * 300 AS ms
      FROM generate_series(1, 10000) AS j) AS g;

-- A finished three-step workflow a -> b -> c.
INSERT INTO :"commands" (id, target, name, input, output, scheduled_at, timeout, is_running,
    running_at, is_completed, completed_at, is_canceled, retries_left, is_failed, attempt,
    last_outcome, workflow_id)
SELECT pg_temp.v7((extract(epoch FROM now()) * 1000)::bigint - 60000 + k, 3000000 + k),
       'default', 'report.step', '{"step":' || k || '}', '{"ok":true}', now(),
       interval '30 seconds', false, now(), true, now(), false, 0, false, 1, 'completed',
       '00000000-0000-7000-8000-00000000f10a'
FROM generate_series(1, 3) AS k;
INSERT INTO :"workflow_steps" (command_id, workflow_id, workflow_name, step_key)
SELECT id, workflow_id, 'nightly-report', chr(96 + (input::json->>'step')::int)
FROM :"commands" WHERE workflow_id = '00000000-0000-7000-8000-00000000f10a';
INSERT INTO :"workflow_edges" (parent_id, child_id, resolved)
SELECT p.id, c.id, true
FROM :"commands" p JOIN :"commands" c
  ON (c.input::json->>'step')::int = (p.input::json->>'step')::int + 1
WHERE p.workflow_id = '00000000-0000-7000-8000-00000000f10a'
  AND c.workflow_id = '00000000-0000-7000-8000-00000000f10a';

-- 24 hours of per-minute stats for three names.
INSERT INTO :"stats" (minute, name, outcome, n, run_us)
SELECT (extract(epoch FROM now())::bigint / 60) - m, nm, oc,
       CASE oc WHEN 'completed' THEN 40 + m % 17 ELSE m % 3 END, 1000 * (40 + m % 17)
FROM generate_series(0, 1439) AS m,
     unnest(ARRAY['email.send', 'invoice.render', 'webhook.deliver']) AS nm,
     unnest(ARRAY['completed', 'failed']) AS oc;

ANALYZE :"commands";
ANALYZE :"stats";
