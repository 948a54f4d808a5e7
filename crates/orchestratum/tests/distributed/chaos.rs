//! Chaos: three worker processes, thousands of commands (some chain, some fail and retry, some
//! time out), and a random SIGKILL and restart every few seconds until every command is
//! finished. Then the invariants are checked on the table and the recorded side effects.
//!
//! Size and length: `ORCH_CHAOS_COMMANDS` (default 5000), `ORCH_CHAOS_SECONDS` (deadline,
//! default 150), `ORCH_CHAOS_SEED`. A soak: `ORCH_CHAOS_COMMANDS=100000 ORCH_CHAOS_SECONDS=3600`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use orchestratum::Push;

use super::process::{Worker, WorkerConfig};
use super::support::{self, Backend, TestDb};
use super::{WorkCommand, id_text, int, unfinished};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so a failing run can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One command of the mix: the command, its retries, and its timeout.
fn command(rng: &mut Rng, seq: u64) -> (WorkCommand, u16, Duration) {
    let base = WorkCommand {
        first_sleep_ms: rng.below(10),
        sleep_ms: rng.below(10),
        chain: seq.is_multiple_of(5),
        ..WorkCommand::quick(seq)
    };
    let timeout = Duration::from_secs(5);
    match rng.below(20) {
        // Fails twice, then succeeds.
        0..=2 => (
            WorkCommand {
                fail_until: 2,
                ..base
            },
            4,
            timeout,
        ),
        // Always fails: on_failure follow-up.
        3 => (
            WorkCommand {
                fail_until: 99,
                ..base
            },
            1,
            timeout,
        ),
        // Times out every time.
        4 => (
            WorkCommand {
                first_sleep_ms: 2_000,
                sleep_ms: 2_000,
                ..base
            },
            1,
            Duration::from_millis(300),
        ),
        // Slow first run: likely killed mid-run.
        5 => (
            WorkCommand {
                first_sleep_ms: 1_500,
                ..base
            },
            4,
            timeout,
        ),
        _ => (base, 4, timeout),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_chaos() {
    let _serial = super::SERIAL.lock().await;
    support::run(Backend::Postgres, chaos).await;
}

/// The same run on MySQL/MariaDB: the restarted and surviving workers find lapsed leases by
/// polling (every 500 ms, as on PostgreSQL), so nothing in it depends on notifications.
#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_chaos() {
    let _serial = super::SERIAL.lock().await;
    support::run(Backend::Mysql, chaos).await;
}

pub async fn chaos(db: TestDb) {
    let total = env_or("ORCH_CHAOS_COMMANDS", 5_000);
    let deadline = Duration::from_secs(env_or("ORCH_CHAOS_SECONDS", 150));
    let seed = env_or("ORCH_CHAOS_SEED", 0x5eed_1234_abcd);
    eprintln!("chaos: {total} commands, deadline {deadline:?}, seed {seed}");
    let mut rng = Rng(seed.max(1));

    let client = db.client().await;
    let mut config = WorkerConfig::new(&db.url, &db.prefix, "chaos");
    config.lease_ms = 1_500;
    config.poll_ms = 500;
    config.concurrency = 50;
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(Worker::start(&config).await);
    }

    // Push in bulk, one statement per option set, as an application would.
    let mut retries_of = HashMap::new();
    for chunk_start in (0..total).step_by(500) {
        let mut batches: HashMap<(u16, Duration), Vec<WorkCommand>> = HashMap::new();
        for seq in chunk_start..(chunk_start + 500).min(total) {
            let (cmd, retries, timeout) = command(&mut rng, seq);
            batches.entry((retries, timeout)).or_default().push(cmd);
        }
        for ((retries, timeout), cmds) in batches {
            let push = Push::new()
                .target("chaos")
                .retries(retries)
                .timeout(timeout);
            for id in client.push_many_with(cmds, push).await.unwrap() {
                retries_of.insert(id, retries);
            }
        }
    }

    let started = Instant::now();
    let mut kills = 0;
    let mut next_kill = Instant::now() + Duration::from_millis(2_000 + rng.below(2_000));
    loop {
        if unfinished(&db).await == 0 {
            break;
        }
        assert!(
            started.elapsed() < deadline,
            "chaos: not finished after {deadline:?}; {} unfinished",
            unfinished(&db).await
        );
        if Instant::now() >= next_kill {
            let victim = usize::try_from(rng.below(3)).unwrap();
            let dead = workers.remove(victim);
            dead.kill().await;
            kills += 1;
            workers.insert(victim, Worker::start(&config).await);
            next_kill = Instant::now() + Duration::from_millis(2_000 + rng.below(2_000));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "chaos: finished in {:?} with {kills} kills",
        started.elapsed()
    );
    assert!(kills > 0, "the run ended before any kill: make it bigger");

    let t = db.table();
    let e = format!("{}effects", db.prefix);
    let id_text = id_text(&db, "c.id");
    let (attempt, n) = (int(&db, "c.attempt"), int(&db, "COALESCE(x.n, 0)"));
    // Every command finished, and no row is in two final states.
    assert_eq!(unfinished(&db).await, 0);
    let both = db
        .count(&format!(
            "SELECT count(*) FROM {t} WHERE (CASE WHEN is_completed THEN 1 ELSE 0 END) + \
             (CASE WHEN is_failed THEN 1 ELSE 0 END) + (CASE WHEN is_canceled THEN 1 ELSE 0 END) <> 1"
        ))
        .await;
    assert_eq!(both, 0, "rows in more than one final state");
    // Every completed work command's side effect was recorded at least once.
    let missing = db
        .count(&format!(
            "SELECT count(*) FROM {t} c WHERE c.name = 'work' AND c.is_completed AND NOT EXISTS \
             (SELECT 1 FROM {e} x WHERE x.command_id = {id_text} AND x.kind = 'done')"
        ))
        .await;
    assert_eq!(missing, 0, "completed commands without their side effect");
    // Follow-ups exactly once per terminal transition that has them: chained successes and
    // failures have one, other successes none.
    let wrong_children = db
        .count(&format!(
            "SELECT count(*) FROM {t} c WHERE c.name = 'work' AND \
             (SELECT count(*) FROM {t} f WHERE f.parent_id = c.id) <> \
             (CASE WHEN c.is_failed OR c.is_canceled THEN 1 \
                   WHEN c.is_completed AND c.input LIKE '%\"chain\":true%' THEN 1 ELSE 0 END)"
        ))
        .await;
    assert_eq!(wrong_children, 0, "follow-ups not enqueued exactly once");
    // Runs per command: at most retries + 1, kills included.
    let runs = db
        .triples(&format!(
            "SELECT {id_text}, {attempt}, {n} FROM {t} c \
             LEFT JOIN (SELECT command_id, count(*) AS n FROM {e} WHERE kind = 'started' GROUP BY command_id) x \
             ON x.command_id = {id_text} WHERE c.name = 'work'"
        ))
        .await;
    assert_eq!(runs.len(), retries_of.len());
    let mut over_budget = Vec::new();
    for (id, attempt, started) in runs {
        let retries = i64::from(retries_of[&id.parse::<uuid::Uuid>().unwrap()]);
        // Every run follows a claim. A lapsed lease costs a retry like a failure, so kills do
        // not buy extra runs: the claim that finds the retries used up fails it without a run.
        if started > attempt || started > retries + 1 {
            over_budget.push((id, started, attempt, retries));
        }
    }
    assert!(
        over_budget.is_empty(),
        "runs over retries + 1: {over_budget:?}"
    );
    for w in workers {
        assert!(w.terminate().await.success());
    }
}
