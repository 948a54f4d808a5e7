//! Every state transition emits a `tracing` event carrying the command's id, name and attempt.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orchestratum::Push;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

use support::commands::*;
use support::{Backend, Probe, TestDb, wait_terminal};

type Events = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// Keeps every event's fields (the message under "message").
struct Capture(Events);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: LayerContext<'_, S>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(fields);
    }
}

// One thread, so every task's events reach the subscriber set for this test.
#[tokio::test(flavor = "current_thread")]
async fn every_transition_is_traced_with_id_name_and_attempt() {
    let events: Events = Arc::default();
    let _guard =
        tracing::subscriber::set_default(Registry::default().with(Capture(events.clone())));

    let db = TestDb::new(Backend::Sqlite).await;
    let probe = Probe::new();
    let orch = db
        .builder()
        .handlers((
            SimpleHandler(probe.clone()),
            AlwaysFailsHandler(probe.clone()),
            SleepHandler(probe.clone()),
            AdminHandler(probe.clone()),
        ))
        .start()
        .await
        .unwrap();
    let ok = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    let failing = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(1))
        .await
        .unwrap();
    let delayed = orch
        .push_with(
            SleepCommand { millis: 1 },
            Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    wait_terminal(&orch, ok).await;
    wait_terminal(&orch, failing).await;
    orch.cancel(delayed).await.unwrap();
    orch.shutdown(Duration::from_secs(5)).await.unwrap();

    let events = events.lock().unwrap();
    let find = |id: uuid::Uuid, message: &str, attempt: &str| {
        let found = events.iter().any(|e| {
            e.get("message").map(String::as_str) == Some(message)
                && e.get("command.id") == Some(&id.to_string())
                && e.get("command.attempt").map(String::as_str) == Some(attempt)
                && e.contains_key("command.name")
        });
        assert!(found, "no `{message}` event for {id} at attempt {attempt}");
    };
    find(ok, "command pushed", "0");
    find(ok, "command started", "1");
    find(ok, "command completed", "1");
    find(failing, "command failed; retry scheduled", "1");
    find(failing, "command started", "2");
    find(failing, "command failed", "2");
    find(delayed, "command canceled", "0");
}
