//! Every state transition emits a `tracing` event carrying the command's id, name and attempt
//! (its own fields, or those of the `orchestratum.run` / `orchestratum.push` span it is in), a
//! handler's own events carry the run's span, and a final failure is a warning.

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

/// Keeps every event's fields, with those of the spans it is in (the message under "message",
/// the level under "level", the span names under "spans").
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

/// A span's fields, kept in its extensions.
struct SpanFields(HashMap<String, String>);

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: LayerContext<'_, S>,
    ) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: LayerContext<'_, S>) {
        let mut fields = HashMap::new();
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                spans.push(span.name().to_owned());
                if let Some(SpanFields(f)) = span.extensions().get::<SpanFields>() {
                    fields.extend(f.clone());
                }
            }
        }
        event.record(&mut Fields(&mut fields));
        fields.insert("level".into(), event.metadata().level().to_string());
        fields.insert("spans".into(), spans.join("/"));
        self.0.lock().unwrap().push(fields);
    }
}

/// Logs from inside its handler, as application code does.
#[derive(serde::Serialize, serde::Deserialize)]
struct ChattyCommand;
impl orchestratum::Command for ChattyCommand {
    type Output = ();
}
struct ChattyHandler;
impl orchestratum::Handler for ChattyHandler {
    type Command = ChattyCommand;
    async fn execute(
        &self,
        _: ChattyCommand,
        _: orchestratum::Context,
    ) -> orchestratum::HandlerResult<()> {
        tracing::info!("charging the card");
        Ok(())
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
            ChattyHandler,
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
    let chatty = orch.push(ChattyCommand).await.unwrap();
    wait_terminal(&orch, ok).await;
    wait_terminal(&orch, failing).await;
    wait_terminal(&orch, chatty).await;
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

    let event = |id: uuid::Uuid, message: &str| {
        events
            .iter()
            .find(|e| {
                e.get("message").map(String::as_str) == Some(message)
                    && e.get("command.id") == Some(&id.to_string())
            })
            .cloned()
            .unwrap_or_else(|| panic!("no `{message}` event for {id}"))
    };
    // The handler's own line is in the run's span, which names the command and the worker.
    let said = event(chatty, "charging the card");
    assert_eq!(said["spans"], "orchestratum.run");
    assert_eq!(said["command.name"], "chatty");
    assert_eq!(said["command.attempt"], "1");
    assert_eq!(said["command.target"], "test");
    assert!(said.contains_key("worker.id"), "{said:?}");
    // A push has its own span.
    assert_eq!(event(ok, "command pushed")["spans"], "orchestratum.push");
    // A final failure is a warning; a retry is not.
    assert_eq!(event(failing, "command failed")["level"], "WARN");
    assert_eq!(
        event(failing, "command failed; retry scheduled")["level"],
        "INFO"
    );
}

// One thread, so every task's events reach the subscriber set for this test.
#[tokio::test(flavor = "current_thread")]
async fn commands_no_worker_handles_are_warned_about() {
    let events: Events = Arc::default();
    let _guard =
        tracing::subscriber::set_default(Registry::default().with(Capture(events.clone())));
    let db = TestDb::new(Backend::Sqlite).await;
    let probe = Probe::new();
    // Heartbeats every 100 ms, and every heartbeat looks for commands nobody handles.
    let orch = db
        .builder()
        .lock_timeout_buffer(Duration::from_millis(200))
        .unhandled_after(Duration::ZERO)
        .handler(SimpleHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    orch.push(UnhandledCommand).await.unwrap();
    support::eventually("the warning", Duration::from_secs(10), || async {
        events
            .lock()
            .unwrap()
            .iter()
            .find(|e| {
                e.get("message")
                    .is_some_and(|m| m.starts_with("commands wait with no live worker"))
            })
            .cloned()
    })
    .await;
    let events = events.lock().unwrap().clone();
    let warned = events
        .iter()
        .find(|e| {
            e.get("message")
                .is_some_and(|m| m.starts_with("commands wait with no live worker"))
        })
        .unwrap();
    assert_eq!(warned["level"], "WARN");
    assert_eq!(warned["command.name"], "unhandled");
    assert_eq!(warned["command.target"], "test");
    assert_eq!(warned["waiting"], "1");
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Completes in its own transaction, then returns an error when told to.
#[derive(serde::Serialize, serde::Deserialize)]
struct SettleCommand {
    fail_after: bool,
}
impl orchestratum::Command for SettleCommand {
    type Output = u8;
    fn retries(&self) -> u16 {
        3
    }
}
struct SettleHandler;
impl orchestratum::Handler for SettleHandler {
    type Command = SettleCommand;
    async fn execute(
        &self,
        cmd: SettleCommand,
        ctx: orchestratum::Context,
    ) -> orchestratum::HandlerResult<u8> {
        let tx = ctx.transaction().await?;
        tx.complete(&cmd, &1).await?;
        if cmd.fail_after {
            return Err(orchestratum::HandlerError::fail("too late to fail"));
        }
        Ok(1)
    }
}

// One thread, so every task's events reach the subscriber set for this test.
#[tokio::test(flavor = "current_thread")]
async fn completion_in_the_handlers_transaction_is_not_written_again() {
    let events: Events = Arc::default();
    let _guard =
        tracing::subscriber::set_default(Registry::default().with(Capture(events.clone())));
    let db = TestDb::new(Backend::Sqlite).await;
    let orch = db.builder().handler(SettleHandler).start().await.unwrap();
    let clean = orch
        .push(SettleCommand { fail_after: false })
        .await
        .unwrap();
    let late = orch.push(SettleCommand { fail_after: true }).await.unwrap();
    for id in [clean, late] {
        let record = wait_terminal(&orch, id).await;
        assert_eq!(record.state(), orchestratum::State::Completed, "{record:?}");
        assert_eq!(record.output.as_deref(), Some("1"));
        assert_eq!(record.retries_left, 3, "a late error costs no retry");
    }
    orch.shutdown(Duration::from_secs(5)).await.unwrap();

    let events = events.lock().unwrap();
    let of = |id: uuid::Uuid| -> Vec<&HashMap<String, String>> {
        events
            .iter()
            .filter(|e| e.get("command.id") == Some(&id.to_string()))
            .collect()
    };
    let said = |id, message: &str| {
        of(id)
            .iter()
            .any(|e| e.get("message").map(String::as_str) == Some(message))
    };
    for id in [clean, late] {
        assert!(
            said(id, "command completed in its handler's transaction"),
            "{:?}",
            of(id)
        );
        // The executor wrote nothing after the handler's commit (such a write would have been
        // fenced out and reported).
        assert!(!said(id, "command completed"), "{:?}", of(id));
        assert!(
            !said(
                id,
                "outcome not written: the lease was lost and another run owns the command"
            ),
            "{:?}",
            of(id)
        );
    }
    let warnings = |id| -> Vec<String> {
        of(id)
            .iter()
            .filter(|e| e["level"] == "WARN")
            .map(|e| e["message"].clone())
            .collect()
    };
    assert!(warnings(clean).is_empty(), "{:?}", warnings(clean));
    assert_eq!(
        warnings(late),
        [
            "the run ended badly after its handler's transaction completed the command; the completion stands"
        ]
    );
}

/// Completes in its own transaction, then keeps working past several lease renewals and its
/// lease's deadline; says whether its token fired meanwhile.
#[derive(serde::Serialize, serde::Deserialize)]
struct LingerCommand {
    window_ms: u64,
}
impl orchestratum::Command for LingerCommand {
    type Output = ();
}
struct LingerHandler(Arc<Probe>);
impl orchestratum::Handler for LingerHandler {
    type Command = LingerCommand;
    async fn execute(
        &self,
        cmd: LingerCommand,
        ctx: orchestratum::Context,
    ) -> orchestratum::HandlerResult<()> {
        let tx = ctx.transaction().await?;
        tx.complete(&cmd, &()).await?;
        // A window, not a hope: what is checked is that nothing happens within it.
        tokio::select! {
            () = ctx.cancelled() => self.0.record("stopped", ctx.id(), ctx.attempt()),
            () = tokio::time::sleep(Duration::from_millis(cmd.window_ms)) => {
                self.0.record("not stopped", ctx.id(), ctx.attempt())
            }
        }
        Ok(())
    }
}

// One thread, so every task's events reach the subscriber set for this test.
#[tokio::test(flavor = "current_thread")]
async fn a_completed_run_holds_no_lease_to_lose() {
    let events: Events = Arc::default();
    let _guard =
        tracing::subscriber::set_default(Registry::default().with(Capture(events.clone())));
    let db = TestDb::new(Backend::Sqlite).await;
    let probe = Probe::new();
    // Renewals every 100 ms; the lease's own deadline is under 300 ms away.
    let orch = db
        .builder()
        .lock_timeout_buffer(Duration::from_millis(300))
        .cancel_grace(Duration::from_millis(30))
        .handler(LingerHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let id = orch.push(LingerCommand { window_ms: 1_200 }).await.unwrap();
    probe.wait("not stopped", 1, Duration::from_secs(10)).await;
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), orchestratum::State::Completed);
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
    assert_eq!(probe.count_for("stopped", id), 0);
    let events = events.lock().unwrap();
    let warnings: Vec<&String> = events
        .iter()
        .filter(|e| e.get("command.id") == Some(&id.to_string()) && e["level"] == "WARN")
        .map(|e| &e["message"])
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}
