//! Chaos: three worker processes, thousands of commands (some chain, some fail and retry, some
//! time out), and every second or two a fault on one worker, in turn: a SIGKILL and restart, a
//! frozen database connection or a SIGSTOP, the last two held for longer than the lease and
//! then healed, until every command is finished. Then the invariants are checked on the table
//! and the recorded side effects, among them that no two runs of one command overlapped in one
//! process (the worker records an `overlap` effect if they do).
//!
//! Size and length: `ORCH_CHAOS_COMMANDS` (default 5000), `ORCH_CHAOS_SECONDS` (deadline,
//! default 150), `ORCH_CHAOS_SEED`. A soak: `ORCH_CHAOS_COMMANDS=100000 ORCH_CHAOS_SECONDS=3600`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use orchestratum::Push;

use super::faults::{Fault, Slot};
use super::process::WorkerConfig;
use super::support::{self, Backend, TestDb};
use super::{WorkCommand, id_text, int, unfinished};

pub(crate) fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so a failing run can be replayed by its seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
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

/// Pushes the commands `seqs` in bulk, one statement per option set, as an application would.
async fn push_chunks(
    client: &orchestratum::Client,
    rng: &mut Rng,
    seqs: std::ops::Range<u64>,
    retries_of: &mut HashMap<uuid::Uuid, u16>,
) {
    for chunk_start in seqs.clone().step_by(500) {
        let mut batches: HashMap<(u16, Duration), Vec<WorkCommand>> = HashMap::new();
        for seq in chunk_start..(chunk_start + 500).min(seqs.end) {
            let (cmd, retries, timeout) = command(rng, seq);
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
    let mut slots = Vec::new();
    for _ in 0..3 {
        slots.push(Slot::start(&config).await);
    }

    let mut retries_of = HashMap::new();
    push_chunks(&client, &mut rng, 0..total, &mut retries_of).await;
    let mut pushed = total;

    let started = Instant::now();
    let lease = Duration::from_millis(config.lease_ms);
    let mut inflicted: HashMap<Fault, u32> = HashMap::new();
    let mut next_fault = Instant::now() + fault_interval(&mut rng);
    loop {
        if unfinished(&db).await == 0 {
            if Fault::ALL.iter().all(|f| inflicted.contains_key(f)) {
                break;
            }
            // Drained before every kind of fault was seen (a fast machine): more of the same.
            push_chunks(&client, &mut rng, pushed..pushed + 1_000, &mut retries_of).await;
            pushed += 1_000;
        }
        assert!(
            started.elapsed() < deadline,
            "chaos: not finished after {deadline:?}; {} unfinished",
            unfinished(&db).await
        );
        for slot in &mut slots {
            slot.heal_if_due();
        }
        if Instant::now() >= next_fault {
            let healthy: Vec<usize> = (0..slots.len())
                .filter(|&i| slots[i].is_healthy())
                .collect();
            // One worker at a time: the others keep the run going.
            if healthy.len() == slots.len() {
                let victim = healthy[usize::try_from(rng.below(healthy.len() as u64)).unwrap()];
                let n: u32 = inflicted.values().sum();
                // In turn, so a short run still sees every kind.
                let fault = Fault::ALL[n as usize % Fault::ALL.len()];
                let hold = lease + Duration::from_millis(300 + rng.below(500));
                slots[victim].inflict(fault, hold).await;
                *inflicted.entry(fault).or_default() += 1;
            }
            next_fault = Instant::now() + fault_interval(&mut rng);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "chaos: finished in {:?} with {inflicted:?}",
        started.elapsed()
    );
    assert!(
        Fault::ALL.iter().all(|f| inflicted.contains_key(f)),
        "the run ended before every kind of fault ({inflicted:?}): make it bigger"
    );
    // Healed and drained before the checks, so whatever a stale worker still had to write has
    // been written.
    for slot in slots {
        assert!(slot.terminate().await.success());
    }

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
    // Listed with what explains them, so that a failure says which rule broke.
    let wrong_children = db
        .texts(&format!(
            "SELECT CONCAT({id_text}, ' ', CASE WHEN c.is_completed THEN 'completed' \
                    WHEN c.is_failed THEN 'failed' ELSE 'canceled' END, \
                    ' attempt ', c.attempt, ' children ', \
                    (SELECT count(*) FROM {t} f WHERE f.parent_id = c.id), ' outcome ', \
                    COALESCE(c.last_outcome, '-'), ' error ', COALESCE(c.last_error, '-'), \
                    ' input ', c.input) \
             FROM {t} c WHERE c.name = 'work' AND \
             (SELECT count(*) FROM {t} f WHERE f.parent_id = c.id) <> \
             (CASE WHEN c.is_failed OR c.is_canceled THEN 1 \
                   WHEN c.is_completed AND c.input LIKE '%\"chain\":true%' THEN 1 ELSE 0 END)"
        ))
        .await;
    assert!(
        wrong_children.is_empty(),
        "follow-ups not enqueued exactly once: {wrong_children:#?}"
    );
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
    // No run of a command started while an earlier run of it was alive in the same process.
    let overlaps = db
        .triples(&format!(
            "SELECT command_id, {}, {} FROM {e} WHERE kind = 'overlap'",
            int(&db, "attempt"),
            int(&db, "pid")
        ))
        .await;
    assert!(
        overlaps.is_empty(),
        "runs overlapping in one process (command, attempt, pid): {overlaps:?}"
    );
}

/// Time to the next fault: short enough that a run of a few seconds sees each kind (the third
/// one within about 6.5 s of the start).
fn fault_interval(rng: &mut Rng) -> Duration {
    Duration::from_millis(1_000 + rng.below(1_000))
}
