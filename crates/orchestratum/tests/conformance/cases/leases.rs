//! Leases: fenced outcome writes, lapsed leases, renewal.

use std::time::Duration;

use orchestratum::push::NewCommand;
use orchestratum::store::{ClaimParams, ClaimedCommand, Transition, TransitionKind};
use orchestratum::{Client, FailureKind, Push, State};

use super::with_all_handlers;
use crate::support::commands::*;
use crate::support::{Backend, Probe, TestDb, eventually, wait_for, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

/// Claims like a worker that will die: a short lease nobody renews.
async fn claim_and_abandon(client: &Client, name: &str, lease: Duration) -> ClaimedCommand {
    let names = vec![name.to_owned()];
    let mut claimed = client
        .store()
        .claim(ClaimParams {
            target: "test",
            names: &names,
            limit: 1,
            lease,
            worker: uuid::Uuid::now_v7(),
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "nothing to claim");
    claimed.pop().unwrap()
}

async fn wait_lapsed(client: &Client, claimed: &ClaimedCommand) {
    wait_for(
        client,
        claimed.id,
        "lease to lapse",
        Duration::from_secs(10),
        |r| r.is_running && r.state() != State::Running,
    )
    .await;
}

pub async fn stale_lease_cannot_overwrite_newer_attempt(db: TestDb) {
    let client = db.client().await;
    let id = client
        .push(ProcessOrderCommand { amount: 1 })
        .await
        .unwrap();
    let stale = claim_and_abandon(&client, "process_order", Duration::from_millis(300)).await;
    wait_lapsed(&client, &stale).await;
    let fresh = claim_and_abandon(&client, "process_order", Duration::from_secs(60)).await;
    assert_eq!(fresh.id, id);
    assert_ne!(fresh.lease_token, stale.lease_token);
    assert_eq!(fresh.attempt, 2);

    let follow_up = NewCommand::build(
        &NotifyAdminCommand {
            reason: "stale".into(),
        },
        Push::new(),
        "test",
    )
    .unwrap();
    let complete = |claim: &ClaimedCommand, output: &str, follow_ups: Vec<NewCommand>| Transition {
        id,
        lease_token: Some(claim.lease_token),
        kind: TransitionKind::Complete {
            output: output.into(),
            note: None,
        },
        retries_left: None,
        follow_ups,
        ran: true,
        step: false,
    };
    // The paused worker wakes up and tries to write its outcome and follow-ups: refused.
    let applied = client
        .store()
        .record_outcomes(&[complete(&stale, "\"stale\"", vec![follow_up])])
        .await
        .unwrap();
    assert!(applied.is_empty());
    let record = client.get(id).await.unwrap();
    assert_eq!(record.state(), State::Running);
    assert_eq!(record.output, None);
    assert_eq!(
        db.count_named("notify_admin").await,
        0,
        "a refused outcome enqueued follow-ups"
    );

    // The current holder's write goes through, once.
    let applied = client
        .store()
        .record_outcomes(&[complete(&fresh, "\"fresh\"", vec![])])
        .await
        .unwrap();
    assert_eq!(applied, vec![id]);
    let again = client
        .store()
        .record_outcomes(&[complete(&fresh, "\"again\"", vec![])])
        .await
        .unwrap();
    assert!(
        again.is_empty(),
        "a finished command accepted a second outcome"
    );
    let record = client.get(id).await.unwrap();
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("\"fresh\""));
}

/// One batch holds a stale outcome beside outcomes whose fences hold: only those are written,
/// with their attempts and follow-ups (MySQL writes a batch whole first and, when a fence did
/// not hold, undoes it and writes the passing ones alone).
pub async fn a_batch_with_a_stale_outcome_writes_only_the_fenced_ones(db: TestDb) {
    let client = db.client().await;
    let push = || client.push(ProcessOrderCommand { amount: 1 });
    let (lapsing, failing, completing) = (
        push().await.unwrap(),
        push().await.unwrap(),
        push().await.unwrap(),
    );
    let stale = claim_and_abandon(&client, "process_order", Duration::from_millis(300)).await;
    assert_eq!(stale.id, lapsing);
    wait_lapsed(&client, &stale).await;
    let fresh = claim_and_abandon(&client, "process_order", Duration::from_secs(60)).await;
    assert_eq!(fresh.id, lapsing);
    let failing_claim = claim_and_abandon(&client, "process_order", Duration::from_secs(60)).await;
    assert_eq!(failing_claim.id, failing);
    let completing_claim =
        claim_and_abandon(&client, "process_order", Duration::from_secs(60)).await;
    assert_eq!(completing_claim.id, completing);

    let notify = |reason: &str| {
        NewCommand::build(
            &NotifyAdminCommand {
                reason: reason.into(),
            },
            Push::new(),
            "test",
        )
        .unwrap()
    };
    let transition = |claim: &ClaimedCommand, kind: TransitionKind, follow_up: &str| Transition {
        id: claim.id,
        lease_token: Some(claim.lease_token),
        kind,
        retries_left: None,
        follow_ups: vec![notify(follow_up)],
        ran: true,
        step: false,
    };
    let complete = |output: &str| TransitionKind::Complete {
        output: output.into(),
        note: None,
    };
    let mut applied = client
        .store()
        .record_outcomes(&[
            transition(&stale, complete("\"stale\""), "stale"),
            transition(
                &failing_claim,
                TransitionKind::Fail {
                    error: "refused by the test".into(),
                    kind: FailureKind::Failed,
                },
                "failed",
            ),
            transition(&completing_claim, complete("\"done\""), "done"),
        ])
        .await
        .unwrap();
    applied.sort();
    let mut expected = vec![failing, completing];
    expected.sort();
    assert_eq!(applied, expected);

    let record = client.get(lapsing).await.unwrap();
    assert_eq!(
        record.state(),
        State::Running,
        "the stale outcome was written"
    );
    assert_eq!(record.output, None);
    // Its attempts: the lapsed run, then the running one; the stale outcome added none.
    let attempts = client.attempts(lapsing).await.unwrap();
    let outcomes: Vec<_> = attempts.iter().map(|a| (a.attempt, a.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (
                1,
                orchestratum::AttemptOutcome::Failed(FailureKind::LeaseExpired)
            ),
            (2, orchestratum::AttemptOutcome::Running)
        ]
    );
    let record = client.get(failing).await.unwrap();
    assert_eq!(record.state(), State::Failed);
    let attempts = client.attempts(failing).await.unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(
        attempts[0].outcome,
        orchestratum::AttemptOutcome::Failed(FailureKind::Failed)
    );
    assert_eq!(attempts[0].error.as_deref(), Some("refused by the test"));
    let record = client.get(completing).await.unwrap();
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.output.as_deref(), Some("\"done\""));
    // Follow-ups of the two written outcomes only.
    assert_eq!(db.count_named("notify_admin").await, 2);
}

/// A claim skips a row another transaction holds locked and still fills its batch from the
/// rows after it (MySQL reads candidates without locking, then locks them by key; when one is
/// taken it looks again).
pub async fn a_claim_fills_its_batch_past_a_row_held_elsewhere(db: TestDb) {
    if db.backend == Backend::Sqlite {
        // SQLite has one writer: a held row holds the whole database.
        return;
    }
    let client = db.client().await;
    let mut ids = Vec::new();
    // Priorities 3, 2, 1: claim order is push order, so the held row is the first candidate.
    for (amount, priority) in [(0, 3), (1, 2), (2, 1)] {
        let push = Push::new().priority(priority);
        ids.push(
            client
                .push_with(ProcessOrderCommand { amount }, push)
                .await
                .unwrap(),
        );
    }
    let held = db
        .hold(&format!(
            "BEGIN; SELECT id FROM {} WHERE id = {} FOR UPDATE",
            db.table(),
            db.id_literal(ids[0])
        ))
        .await;
    let names = vec!["process_order".to_owned()];
    let claimed = client
        .store()
        .claim(ClaimParams {
            target: "test",
            names: &names,
            limit: 2,
            lease: Duration::from_secs(60),
            worker: uuid::Uuid::now_v7(),
        })
        .await
        .unwrap();
    held.release().await;
    let got: Vec<_> = claimed.iter().map(|c| c.id).collect();
    assert_eq!(got, ids[1..], "the claim stopped at the held row");
    assert!(!client.get(ids[0]).await.unwrap().is_running);
}

pub async fn lapsed_lease_costs_a_retry(db: TestDb) {
    let probe = Probe::new();
    let client = db.client().await;
    let id = client
        .push_with(SimpleCommand { n: 4 }, Push::new().retries(3))
        .await
        .unwrap();
    let dead = claim_and_abandon(&client, "simple", Duration::from_millis(300)).await;
    assert_eq!(dead.retries_left, 3);
    wait_lapsed(&client, &dead).await;
    let orch = with_all_handlers(&db, &probe).start().await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.attempt, 2);
    assert_eq!(record.retries_left, 2, "the lapsed run cost one retry");
    assert_eq!(probe.count_for("simple", id), 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn lapsed_lease_with_no_retries_left_fails_with_follow_ups(db: TestDb) {
    let probe = Probe::new();
    let client = db.client().await;
    let id = client
        .push_with(ProcessOrderCommand { amount: 5 }, Push::new().retries(0))
        .await
        .unwrap();
    let dead = claim_and_abandon(&client, "process_order", Duration::from_millis(300)).await;
    wait_lapsed(&client, &dead).await;
    let orch = with_all_handlers(&db, &probe).start().await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.retries_left, -1);
    assert_eq!(record.last_outcome, Some(FailureKind::LeaseExpired));
    // It was not run again: a command that kills its worker cannot loop forever.
    assert_eq!(probe.count_for("order", id), 0);
    eventually(
        "on_failure follow-up completed",
        Duration::from_secs(10),
        || async {
            let sql = format!(
                "SELECT count(*) FROM {} WHERE name = 'notify_admin' AND is_completed",
                db.table()
            );
            (db.count(&sql).await == 1).then_some(())
        },
    )
    .await;
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn lease_is_renewed_while_handler_runs(db: TestDb) {
    let probe = Probe::new();
    // Two workers with one key, polling often, with a lease far shorter than the run: if the
    // lease were not renewed the other worker would take the command over.
    let start = || {
        with_all_handlers(&db, &probe)
            .lock_timeout_buffer(Duration::from_millis(1_000))
            .polling_interval(Duration::from_millis(100))
            .start()
    };
    let (a, b) = (start().await.unwrap(), start().await.unwrap());
    let id = a
        .push_with(
            SleepCommand { millis: 3_000 },
            Push::new().timeout(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    let record = wait_terminal(&a, id).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.attempt, 1);
    assert_eq!(record.retries_left, 3);
    assert_eq!(probe.count_for("sleep_started", id), 1);
    a.shutdown(SHUTDOWN).await.unwrap();
    b.shutdown(SHUTDOWN).await.unwrap();
}
