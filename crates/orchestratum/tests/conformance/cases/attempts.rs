//! Attempt history (issue 10): every run is recorded, with its worker, times, outcome and
//! error, on every backend; a lapsed lease is an attempt; prune removes them with the command.

use std::time::Duration;

use orchestratum::store::PruneParams;
use orchestratum::{AttemptOutcome, FailureKind, Push, State};

use super::{FlakyCommand, FlakyHandler, HoldCommand, HoldHandler, expire_lease};
use crate::support::commands::*;
use crate::support::{Probe, TestDb, wait_for, wait_terminal};

fn outcomes(attempts: &[orchestratum::Attempt]) -> Vec<&'static str> {
    attempts.iter().map(|a| a.outcome.as_str()).collect()
}

pub async fn every_run_is_an_attempt_with_its_worker_and_error(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(FlakyHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let flaky = FlakyCommand {
        failures: 2,
        retry_ms: 0,
        error: "upstream said no".into(),
    };
    let id = orch.push_with(flaky, Push::new().retries(3)).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    let attempts = orch.attempts(id).await.unwrap();
    assert_eq!(outcomes(&attempts), ["failed", "failed", "completed"]);
    for (n, a) in attempts.iter().enumerate() {
        assert_eq!(a.attempt, i32::try_from(n).unwrap() + 1);
        assert_eq!(a.worker_id, Some(orch.worker_id()), "{a:?}");
        let (started, ended) = (a.started_at.unwrap(), a.ended_at.unwrap());
        assert!(started <= ended, "{a:?}");
    }
    assert_eq!(attempts[0].error.as_deref(), Some("upstream said no"));
    assert_eq!(attempts[2].error, None);
    assert_eq!(attempts[2].ended_at, record.completed_at);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn lapsed_lease_timeout_and_cancel_are_attempts(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(HoldHandler(probe.clone()))
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let hold = |millis| HoldCommand {
        millis,
        cleanup_ms: 0,
        ignore_token: false,
    };
    // Run 1 times out; run 2 lapses (a stall, as the reclaim test makes one); run 3 is
    // canceled while it runs.
    let id = orch
        .push_with(
            hold(30_000),
            Push::new().timeout(Duration::from_millis(300)).retries(3),
        )
        .await
        .unwrap();
    wait_for(&orch, id, "the second run", Duration::from_secs(10), |r| {
        r.attempt == 2 && r.state() == State::Running
    })
    .await;
    expire_lease(&db, id).await;
    orch.push(SimpleCommand { n: 1 }).await.unwrap();
    wait_for(&orch, id, "the third run", Duration::from_secs(10), |r| {
        r.attempt == 3 && r.state() == State::Running
    })
    .await;
    let running = orch.attempts(id).await.unwrap();
    assert_eq!(
        outcomes(&running),
        ["timed_out", "lease_expired", "running"]
    );
    assert_eq!(running[2].ended_at, None);
    orch.cancel(id).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Canceled);
    let attempts = orch.attempts(id).await.unwrap();
    assert_eq!(
        outcomes(&attempts),
        ["timed_out", "lease_expired", "canceled"]
    );
    assert_eq!(
        attempts[1].outcome,
        AttemptOutcome::Failed(FailureKind::LeaseExpired)
    );
    assert!(attempts[0].error.as_deref().unwrap().contains("timed out"));
    assert!(
        attempts
            .iter()
            .all(|a| a.worker_id == Some(orch.worker_id()))
    );
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn prune_removes_attempts_with_their_command(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(AlwaysFailsHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let id = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(1))
        .await
        .unwrap();
    wait_terminal(&orch, id).await;
    let attempts = db.quoted("attempts");
    let count = format!("SELECT COUNT(*) FROM {attempts}");
    assert_eq!(db.count(&count).await, 2);
    let pruned = orch
        .store()
        .prune(PruneParams {
            older_than: Duration::ZERO,
            state: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(
        db.count(&count).await,
        0,
        "the attempts went with the command"
    );
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}
