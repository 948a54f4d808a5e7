//! PostgreSQL only: a push from one instance wakes the instances of its target at once through
//! LISTEN/NOTIFY, not at their next poll.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use orchestratum::{Push, State};

use support::commands::*;
use support::{Backend, Probe, TestDb, wait_terminal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_from_another_instance_wakes_the_target_at_once() {
    support::run(Backend::Postgres, |db: TestDb| async move {
        let probe = Probe::new();
        // The worker polls once a minute: only a notification can start the command promptly.
        let worker = db
            .builder()
            .instance_key("email-worker")
            .polling_interval(Duration::from_secs(60))
            .handler(SimpleHandler(probe.clone()))
            .start()
            .await
            .unwrap();
        let web = db.client().await;
        // Let the worker finish its start-up claim and go idle.
        let warmup = web
            .push_with(SimpleCommand { n: 0 }, Push::new().target("email-worker"))
            .await
            .unwrap();
        wait_terminal(&web, warmup).await;
        let mut latencies = Vec::new();
        for n in 1..=5 {
            let pushed = Instant::now();
            web.push_with(SimpleCommand { n }, Push::new().target("email-worker"))
                .await
                .unwrap();
            probe
                .wait("simple", 1 + n as usize, Duration::from_secs(10))
                .await;
            latencies.push(pushed.elapsed());
        }
        let worst = latencies.iter().max().unwrap();
        assert!(
            *worst < Duration::from_secs(2),
            "push-to-start latencies {latencies:?}"
        );
        let last = web
            .push_with(SimpleCommand { n: 9 }, Push::new().target("email-worker"))
            .await
            .unwrap();
        assert_eq!(wait_terminal(&web, last).await.state(), State::Completed);
        worker.shutdown(Duration::from_secs(5)).await.unwrap();
    })
    .await;
}
