//! The test kit (feature `testing`): a handler run without a database, follow-ups inspected,
//! and an in-memory SQLite database with a worker.

use std::time::Duration;

use orchestratum::testing::{self, FollowUp};
use orchestratum::{
    Canceled, CancellationToken, Command, Context, Error, Failure, FailureKind, Finished, Handler,
    HandlerError, HandlerResult, Next, Orchestratum, Push, State,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An order: success chains a receipt to the `mail` target; failure alerts the team.
#[derive(Debug, Serialize, Deserialize)]
struct ChargeCommand {
    cents: i64,
    /// Never stored: a worker's copy always has the default.
    #[serde(skip)]
    scratch: Option<String>,
}
impl Command for ChargeCommand {
    type Output = String;
    fn on_success(&self, receipt: &String) -> Vec<Next> {
        vec![Next::with(
            SendReceiptCommand {
                receipt: receipt.clone(),
            },
            Push::new()
                .target("mail")
                .delay(Duration::from_secs(2))
                .retries(7),
        )]
    }
    fn on_failure(&self, failure: &Failure) -> Vec<Next> {
        vec![Next::new(AlertCommand {
            text: format!(
                "charge of {} failed after {} runs: {}",
                self.cents,
                failure.attempts(),
                failure.error()
            ),
        })]
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SendReceiptCommand {
    receipt: String,
}
impl Command for SendReceiptCommand {
    type Output = ();
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct AlertCommand {
    text: String,
}
impl Command for AlertCommand {
    type Output = ();
    fn timeout(&self) -> Duration {
        Duration::from_secs(30)
    }
}

/// Charges, or fails, cancels or discards by amount; reports what its context said.
struct ChargeHandler;
impl Handler for ChargeHandler {
    type Command = ChargeCommand;
    async fn execute(&self, cmd: ChargeCommand, ctx: Context) -> HandlerResult<String> {
        match cmd.cents {
            0 => Err(HandlerError::cancel("nothing to charge")),
            c if c < 0 => Err(HandlerError::discard("negative amount")),
            1 => Err(HandlerError::fail("card declined")),
            c => Ok(format!(
                "{} {c} attempt {} of {} left {} scratch {:?}",
                ctx.name(),
                ctx.attempt(),
                ctx.id(),
                ctx.retries_left(),
                cmd.scratch
            )),
        }
    }
}

#[tokio::test]
async fn a_handler_runs_without_a_database() {
    let receipt = testing::run(
        &ChargeHandler,
        ChargeCommand {
            cents: 250,
            scratch: Some("lost on the way".into()),
        },
    )
    .await
    .unwrap();
    assert!(receipt.starts_with("charge 250 attempt 1 of "), "{receipt}");
    // The command's own retries, and the JSON round trip a worker's copy makes.
    assert!(receipt.ends_with(" left 3 scratch None"), "{receipt}");

    let id = Uuid::now_v7();
    let ctx = testing::context()
        .id(id)
        .name("charge_v2")
        .attempt(3)
        .retries_left(0)
        .build();
    let receipt = testing::run_with(
        &ChargeHandler,
        ChargeCommand {
            cents: 5,
            scratch: None,
        },
        ctx,
    )
    .await
    .unwrap();
    assert_eq!(
        receipt,
        format!("charge_v2 5 attempt 3 of {id} left 0 scratch None")
    );

    let charge = |cents| ChargeCommand {
        cents,
        scratch: None,
    };
    let failed = testing::run(&ChargeHandler, charge(1)).await.unwrap_err();
    assert_eq!(failed.to_string(), "card declined");
    assert!(!failed.is_cancel() && !failed.is_discard());
    assert!(
        testing::run(&ChargeHandler, charge(0))
            .await
            .unwrap_err()
            .is_cancel()
    );
    assert!(
        testing::run(&ChargeHandler, charge(-3))
            .await
            .unwrap_err()
            .is_discard()
    );
}

/// Waits for its token, then says why it stopped.
struct PatientHandler;
impl Handler for PatientHandler {
    type Command = AlertCommand;
    async fn execute(&self, _: AlertCommand, ctx: Context) -> HandlerResult<()> {
        ctx.cancelled().await;
        Err(HandlerError::fail("stopped by its token"))
    }
}

#[tokio::test]
async fn the_test_fires_the_token() {
    let token = CancellationToken::new();
    let ctx = testing::context().token(token.clone()).build();
    let run = tokio::spawn(async move {
        testing::run_with(&PatientHandler, AlertCommand { text: "x".into() }, ctx).await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!run.is_finished(), "the token has not fired yet");
    token.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stopped.unwrap_err().to_string(), "stopped by its token");
}

#[test]
fn follow_ups_show_name_input_and_push_options() {
    let cmd = ChargeCommand {
        cents: 900,
        scratch: None,
    };
    let nexts = cmd.on_success(&"r-1".to_owned());
    assert_eq!(nexts.len(), 1);
    let receipt: FollowUp<'_> = testing::inspect(&nexts[0]);
    assert_eq!(receipt.name(), "send_receipt");
    assert_eq!(receipt.input(), serde_json::json!({ "receipt": "r-1" }));
    assert_eq!(receipt.input_json(), r#"{"receipt":"r-1"}"#);
    assert_eq!(
        receipt.command::<SendReceiptCommand>(),
        Some(SendReceiptCommand {
            receipt: "r-1".into()
        })
    );
    assert_eq!(receipt.command::<AlertCommand>(), None, "another type");
    assert_eq!(receipt.target(), Some("mail"));
    assert_eq!(receipt.delay(), Duration::from_secs(2));
    assert_eq!(receipt.retries(), 7);
    assert_eq!(receipt.timeout(), orchestratum::command::TIMEOUT_DEFAULT);

    // A hook sees why: build the failure it is handed.
    let nexts = cmd.on_failure(&Failure::new(FailureKind::Failed, "card declined", 4));
    let alert = testing::inspect(&nexts[0]);
    assert_eq!(alert.name(), "alert");
    assert_eq!(
        alert.input()["text"],
        "charge of 900 failed after 4 runs: card declined"
    );
    // The type's defaults where the push sets nothing; no target: the completing instance's.
    assert_eq!(alert.timeout(), Duration::from_secs(30));
    assert_eq!(alert.retries(), orchestratum::command::RETRIES_DEFAULT);
    assert_eq!((alert.target(), alert.delay()), (None, Duration::ZERO));

    // `on_cancellation` defaults to `on_failure`'s follow-ups, handed the reason.
    let nexts = cmd.on_cancellation(&Canceled::new("canceled by cancel()", 1));
    assert_eq!(
        testing::inspect(&nexts[0]).input()["text"],
        "charge of 900 failed after 1 runs: canceled by cancel()"
    );
}

#[test]
fn a_follow_up_that_cannot_be_enqueued_says_why() {
    let next = Next::with(
        AlertCommand { text: "x".into() },
        Push::new().timeout(Duration::ZERO),
    );
    let error = testing::try_inspect(&next).unwrap_err();
    assert!(error.to_string().contains("timeout"), "{error}");
    let inspected = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        testing::inspect(&next).name().to_owned()
    }));
    assert!(inspected.is_err(), "inspect panics on it");
}

struct ReceiptHandler;
impl Handler for ReceiptHandler {
    type Command = SendReceiptCommand;
    async fn execute(&self, _: SendReceiptCommand, _: Context) -> HandlerResult<()> {
        Ok(())
    }
}

/// One line, `.database("sqlite::memory:")`: a worker runs on a database that exists only in
/// this instance, for as long as it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_database_runs_a_worker() {
    let orch = Orchestratum::builder()
        .database("sqlite::memory:")
        .instance_key("mail")
        .handlers((ChargeHandler, ReceiptHandler))
        .start()
        .await
        .expect("start on sqlite::memory:");
    let charge = |cents| ChargeCommand {
        cents,
        scratch: None,
    };
    let ids = orch.push_many((10..40).map(charge)).await.unwrap();
    // Pushes and claims from several tasks at once share the one connection.
    let pushers: Vec<_> = (0..4)
        .map(|_| {
            let client = orch.client();
            tokio::spawn(async move {
                let id = client
                    .push(ChargeCommand {
                        cents: 77,
                        scratch: None,
                    })
                    .await
                    .unwrap();
                tokio::time::timeout(Duration::from_secs(10), client.wait::<ChargeCommand>(id))
                    .await
                    .expect("finished in time")
                    .unwrap()
            })
        })
        .collect();
    for pusher in pushers {
        assert!(matches!(pusher.await.unwrap(), Finished::Completed(_)));
    }
    for id in &ids {
        let done = tokio::time::timeout(Duration::from_secs(10), orch.wait::<ChargeCommand>(*id))
            .await
            .expect("finished in time")
            .unwrap();
        assert!(matches!(done, Finished::Completed(_)), "{done:?}");
    }
    // Its follow-up is enqueued with it, and runs (due in 2 s: look, don't wait).
    let children = orch.follow_ups(ids[0]).await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name, "send_receipt");
    assert_eq!(children[0].state(), State::Scheduled);

    // A failure for good, with its hook's follow-up.
    let declined = orch
        .push_with(charge(1), Push::new().retries(1))
        .await
        .unwrap();
    let ended = tokio::time::timeout(
        Duration::from_secs(10),
        orch.wait::<ChargeCommand>(declined),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(ended, Finished::Failed { .. }), "{ended:?}");
    let alert = &orch.follow_ups(declined).await.unwrap()[0];
    assert!(
        alert
            .input
            .as_deref()
            .unwrap()
            .contains("failed after 2 runs: card declined"),
        "{alert:?}"
    );

    // Another instance on `sqlite::memory:` has a database of its own.
    let other = Orchestratum::builder()
        .database("sqlite::memory:")
        .connect()
        .await
        .unwrap();
    assert!(matches!(
        other.get(declined).await,
        Err(orchestratum::Error::NotFound(_))
    ));
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Completes in its own transaction; the command's output is the input.
#[derive(Debug, Serialize, Deserialize)]
struct SettleCommand {
    amount: i64,
}
impl Command for SettleCommand {
    type Output = i64;
}
/// Keeps what a second `transaction()` after the completion returned, when it has a slot.
#[derive(Default)]
struct SettleHandler(Option<std::sync::Arc<std::sync::Mutex<Option<String>>>>);
impl Handler for SettleHandler {
    type Command = SettleCommand;
    async fn execute(&self, cmd: SettleCommand, ctx: Context) -> HandlerResult<i64> {
        let tx = ctx.transaction().await?;
        tx.complete(&cmd, &cmd.amount).await?;
        if let Some(slot) = &self.0 {
            let again = ctx
                .transaction()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string());
            *slot.lock().unwrap() = Some(format!("{again:?}"));
        }
        Ok(cmd.amount)
    }
}

/// A test's context has no database: asking it for a transaction is a clear error, not a
/// panic, and a handler that asks fails with it.
#[tokio::test]
async fn a_test_context_has_no_transaction() {
    let ctx = testing::context().build();
    let id = ctx.id();
    let error = ctx.transaction().await.unwrap_err();
    assert!(
        matches!(error, Error::TransactionUnavailable { id: found, .. } if found == id),
        "{error:?}"
    );
    assert!(error.to_string().contains("testing module"), "{error}");
    let ran = testing::run_with(
        &SettleHandler::default(),
        SettleCommand { amount: 5 },
        testing::context().build(),
    )
    .await;
    assert!(
        ran.unwrap_err()
            .to_string()
            .starts_with("no completion transaction"),
    );
}

/// On an in-memory database, whose pool has one connection, the handler's transaction holds
/// it: the completion is written on it, and nothing waits for a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_database_completes_in_the_handlers_transaction() {
    let again = std::sync::Arc::default();
    let orch = Orchestratum::builder()
        .database("sqlite::memory:")
        .handler(SettleHandler(Some(std::sync::Arc::clone(&again))))
        .start()
        .await
        .expect("start on sqlite::memory:");
    let id = orch.push(SettleCommand { amount: 12 }).await.unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), orch.wait::<SettleCommand>(id))
        .await
        .expect("finished in time")
        .unwrap();
    assert_eq!(done, Finished::Completed(12));
    // Once completed, the run gets no second transaction.
    let again = again
        .lock()
        .unwrap()
        .clone()
        .expect("the handler asked again");
    assert!(
        again.contains("this run has already completed its command"),
        "{again}"
    );
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// A join's handler, unit-tested: the parents it reads are the ones the test gives.
#[tokio::test]
async fn a_join_handler_reads_the_parents_a_test_gives() {
    use orchestratum::{Finished, Status};

    #[derive(Serialize, Deserialize)]
    struct PartCommand;
    impl Command for PartCommand {
        type Output = u32;
    }
    #[derive(Serialize, Deserialize)]
    struct JoinCommand;
    impl Command for JoinCommand {
        type Output = (u32, usize);
    }
    struct JoinHandler;
    impl Handler for JoinHandler {
        type Command = JoinCommand;
        async fn execute(&self, _: JoinCommand, ctx: Context) -> HandlerResult<(u32, usize)> {
            let parents = ctx.parents().await?;
            let sum = parents.outputs::<PartCommand>()?.iter().sum();
            Ok((sum, parents.counts().failed + parents.counts().canceled))
        }
    }
    let ctx = testing::context()
        .parent::<PartCommand>("a", Finished::Completed(2))
        .parent::<PartCommand>("b", Finished::Completed(40))
        .parent::<PartCommand>(
            "c",
            Finished::Failed {
                status: Status::TimedOut,
                error: Some("slow".into()),
            },
        )
        .parent::<PartCommand>("d", Finished::Canceled { reason: None })
        .build();
    assert!(
        ctx.workflow_id().is_some(),
        "a context with parents is a step's"
    );
    let parents = ctx.parents().await.unwrap();
    assert_eq!(parents.len(), 4);
    let c = parents
        .iter()
        .find(|p| p.key.as_deref() == Some("c"))
        .unwrap();
    assert_eq!(c.command.status(), Some(Status::TimedOut));
    assert!(matches!(
        parents.output::<PartCommand>("zz"),
        Err(Error::UnknownStep(key)) if key == "zz"
    ));
    assert!(matches!(
        parents.output::<JoinCommand>("a"),
        Err(Error::WrongCommandType { .. })
    ));
    let ran = testing::run_with(&JoinHandler, JoinCommand, ctx)
        .await
        .unwrap();
    assert_eq!(ran, (42, 2));
    // Without parents, a context is no step's and reads none.
    let plain = testing::context().build();
    assert!(plain.workflow_id().is_none());
    assert!(plain.parents().await.unwrap().is_empty());
}
