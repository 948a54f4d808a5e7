//! Runs one claimed command as a pipeline of steps: register the run → run the handler under
//! its timeout (or skip it when the command is already cancelled or out of retries) → decide
//! the transition → hand it to the completer → free the slot.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::completer::Completer;
use super::outcome::{self, Ended};
use super::{RunControl, StopReason};
use crate::client::Shared;
use crate::handler::Context;
use crate::handler::registry::{Entry, RunEnd};
use crate::record::FailureKind;
use crate::store::{ClaimedCommand, TransitionKind};

pub(crate) async fn execute(
    shared: Arc<Shared>,
    completer: Completer,
    command: ClaimedCommand,
    valid_until: Instant,
    permit: OwnedSemaphorePermit,
    slot_freed: Arc<Notify>,
) {
    let control = Arc::new(RunControl::new(command.lease_token, valid_until));
    shared.running.insert(command.id, control.clone());
    let entry = shared.registry.get(&command.name).cloned();
    tracing::info!(command.id = %command.id, command.name = %command.name, command.attempt = command.attempt, "command started");

    let ended = run(&command, entry.as_ref(), &control).await;
    // The handler is done: mark it so the lease keeper does not mistake a cleared lease for a lost one.
    control.token.cancel();

    match outcome::decide(&command, ended, entry.as_ref(), &shared.config.instance_key) {
        Some(transition) => {
            let label = label(&transition.kind);
            let error = error_of(&transition.kind).map(str::to_owned);
            let retries_left = transition.retries_left.unwrap_or(command.retries_left);
            let follow_ups = transition.follow_ups.len();
            if completer.complete(transition).await {
                tracing::info!(
                    command.id = %command.id, command.name = %command.name, command.attempt = command.attempt,
                    retries_left, follow_ups, error = error.as_deref().unwrap_or(""),
                    "command {label}"
                );
            } else {
                tracing::warn!(
                    command.id = %command.id, command.name = %command.name, command.attempt = command.attempt,
                    "outcome `{label}` not written: the lease was lost and another run owns the command"
                );
            }
        }
        None => tracing::warn!(
            command.id = %command.id, command.name = %command.name, command.attempt = command.attempt,
            "run abandoned: lease lost"
        ),
    }
    shared.running.remove(command.id);
    drop(permit);
    slot_freed.notify_one();
}

async fn run(command: &ClaimedCommand, entry: Option<&Entry>, control: &RunControl) -> Ended {
    if command.retries_left < 0 {
        return Ended::Failed {
            kind: FailureKind::LeaseExpired,
            error: "lease expired: the worker running it stopped renewing, and no retries are left"
                .into(),
        };
    }
    if command.cancel_requested {
        return Ended::Cancelled {
            reason: "cancel requested".into(),
        };
    }
    let Some(handler) = entry.and_then(|e| e.handler.clone()) else {
        // Claims filter by handled names, so only a registry bug lands here.
        return Ended::Failed {
            kind: FailureKind::Failed,
            error: format!("no handler registered for `{}`", command.name),
        };
    };
    let ctx = Context {
        id: command.id,
        name: command.name.clone(),
        attempt: u32::try_from(command.attempt).unwrap_or(0),
        retries_left: command.retries_left,
        token: control.token.clone(),
    };
    // Its own task, so a panic is caught as a failure and abort() drops the future.
    let mut task = tokio::spawn(handler.run(command.input.clone(), ctx));
    tokio::select! {
        joined = &mut task => match joined {
            Ok(RunEnd::Succeeded { output, follow_ups }) => Ended::Succeeded { output, follow_ups },
            Ok(RunEnd::Failed { kind, error }) => Ended::Failed { kind, error },
            Ok(RunEnd::Cancelled { reason }) => Ended::Cancelled { reason },
            Err(join) => Ended::Failed {
                kind: FailureKind::Panicked,
                error: format!("handler panicked: {}", panic_message(join)),
            },
        },
        () = tokio::time::sleep(command.timeout) => {
            control.token.cancel();
            task.abort();
            Ended::Failed {
                kind: FailureKind::TimedOut,
                error: format!("timed out after {:?}", command.timeout),
            }
        }
        () = control.token.cancelled() => {
            task.abort();
            match control.reason() {
                Some(StopReason::LeaseLost) => Ended::LeaseLost,
                Some(StopReason::Shutdown) => Ended::Released,
                Some(StopReason::CancelRequested) | None => Ended::Cancelled { reason: "cancel requested".into() },
            }
        }
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".into()),
        Err(join) => join.to_string(),
    }
}

fn label(kind: &TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Complete { .. } => "completed",
        TransitionKind::Retry { .. } => "failed; retry scheduled",
        TransitionKind::Fail { .. } => "failed",
        TransitionKind::Cancel { .. } => "canceled",
        TransitionKind::Release => "released",
    }
}

fn error_of(kind: &TransitionKind) -> Option<&str> {
    match kind {
        TransitionKind::Retry { error, .. } | TransitionKind::Fail { error, .. } => Some(error),
        TransitionKind::Cancel { reason } => Some(reason),
        _ => None,
    }
}
