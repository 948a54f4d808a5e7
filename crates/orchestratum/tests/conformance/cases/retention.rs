//! Retention (issue 11): finished commands past their age per final state are deleted by the
//! started instances, with their attempt rows; the other states are kept.

use std::time::Duration;

use orchestratum::{Push, Retention, State};

use crate::support::commands::*;
use crate::support::{Probe, TestDb, eventually, wait_terminal};

pub async fn retention_deletes_expired_commands_with_their_attempts(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(SimpleHandler(probe.clone()))
        .handler(AlwaysFailsHandler(probe.clone()))
        .retention(
            Retention::new()
                .failed(Duration::ZERO)
                .completed(Duration::from_secs(3600))
                .every(Duration::from_millis(100))
                // Smaller than the expired rows: a look must go on, batch after batch.
                .batch(2),
        )
        .start()
        .await
        .unwrap();
    let mut failed = Vec::new();
    for _ in 0..5 {
        failed.push(
            orch.push_with(AlwaysFailsCommand, Push::new().retries(1))
                .await
                .unwrap(),
        );
    }
    let mut completed = Vec::new();
    for n in 0..3 {
        completed.push(orch.push(SimpleCommand { n }).await.unwrap());
    }
    // No rule for canceled commands: kept however old.
    let canceled = orch
        .push_with(
            SimpleCommand { n: 9 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    orch.cancel(canceled).await.unwrap();
    for &id in &completed {
        assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
    }
    probe
        .wait("always_fails", 10, Duration::from_secs(20))
        .await;
    let attempts = db.quoted("attempts");
    let ids = failed
        .iter()
        .map(|&id| db.id_literal(id))
        .collect::<Vec<_>>()
        .join(", ");
    eventually(
        "every failed command deleted, with its attempts",
        Duration::from_secs(20),
        || async {
            let commands = db
                .count(&format!(
                    "SELECT COUNT(*) FROM {} WHERE id IN ({ids})",
                    db.table()
                ))
                .await;
            let runs = db
                .count(&format!(
                    "SELECT COUNT(*) FROM {attempts} WHERE command_id IN ({ids})"
                ))
                .await;
            (commands == 0 && runs == 0).then_some(())
        },
    )
    .await;
    for &id in completed.iter().chain([&canceled]) {
        let kept = orch
            .get(id)
            .await
            .expect("completed and canceled rows are kept");
        assert!(
            matches!(kept.state(), State::Completed | State::Canceled),
            "{kept:?}"
        );
    }
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn retention_values_no_worker_could_use_are_refused(db: TestDb) {
    for (bad, what) in [
        (Retention::new().completed(Duration::ZERO).batch(0), "batch"),
        (
            Retention::new()
                .failed(Duration::ZERO)
                .every(Duration::ZERO),
            "interval",
        ),
    ] {
        let error = db
            .builder()
            .retention(bad)
            .connect()
            .await
            .err()
            .expect("refused at build");
        let text = error.to_string();
        assert!(text.contains("retention") && text.contains(what), "{text}");
    }
}
