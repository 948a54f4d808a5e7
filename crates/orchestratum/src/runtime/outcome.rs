//! How a run ended, and the transition it leads to: the retry rule of the reference, in one
//! pure function.

use crate::handler::registry::Entry;
use crate::next::Next;
use crate::push::NewCommand;
use crate::record::FailureKind;
use crate::store::{ClaimedCommand, Transition, TransitionKind};

/// How one run ended, as the executor saw it.
pub(crate) enum Ended {
    /// The handler returned output; its success follow-ups are built.
    Succeeded {
        output: String,
        follow_ups: Vec<Next>,
    },
    /// Failed run: handler error, timeout, panic, bad input, or a lapsed lease.
    Failed { kind: FailureKind, error: String },
    /// Cancelled by the handler or by `cancel()`.
    Cancelled { reason: String },
    /// Stopped by shutdown: the lease is given back without cost.
    Released,
    /// The lease was lost: another worker may own the command now, so nothing is written.
    LeaseLost,
}

/// The transition a run's end leads to, or `None` when nothing may be written.
///
/// Failure: `retries_left - 1 >= 0` → pending again after the type's retry delay; otherwise
/// failed with `retries_left = -1` and the `on_failure` follow-ups.
pub(crate) fn decide(
    claimed: &ClaimedCommand,
    ended: Ended,
    entry: Option<&Entry>,
    default_target: &str,
) -> Option<Transition> {
    let transition = |kind, retries_left, follow_ups| Transition {
        id: claimed.id,
        lease_token: Some(claimed.lease_token),
        kind,
        retries_left,
        follow_ups,
    };
    match ended {
        Ended::LeaseLost => None,
        Ended::Released => Some(transition(TransitionKind::Release, None, Vec::new())),
        Ended::Succeeded { output, follow_ups } => match build(follow_ups, default_target) {
            Ok(rows) => Some(transition(TransitionKind::Complete { output }, None, rows)),
            Err(error) => decide(
                claimed,
                Ended::Failed {
                    kind: FailureKind::Failed,
                    error,
                },
                entry,
                default_target,
            ),
        },
        Ended::Failed { kind, error } => {
            let remaining = claimed.retries_left - 1;
            if remaining >= 0 {
                let attempt = u32::try_from(claimed.attempt).unwrap_or(1);
                let delay = entry.map_or_else(Default::default, |e| {
                    e.command.retry_delay(&claimed.input, attempt)
                });
                return Some(transition(
                    TransitionKind::Retry { delay, error, kind },
                    Some(remaining),
                    Vec::new(),
                ));
            }
            let (rows, error) = hooks(
                entry.map(|e| e.command.on_failure(&claimed.input)),
                error,
                default_target,
            );
            Some(transition(
                TransitionKind::Fail { error, kind },
                Some(-1),
                rows,
            ))
        }
        Ended::Cancelled { reason } => {
            let (rows, reason) = hooks(
                entry.map(|e| e.command.on_cancellation(&claimed.input)),
                reason,
                default_target,
            );
            Some(transition(TransitionKind::Cancel { reason }, None, rows))
        }
    }
}

/// Builds follow-ups from a hook's result; a hook that could not run is noted in the error text
/// rather than blocking the terminal transition.
pub(crate) fn hooks(
    result: Option<Result<Vec<Next>, String>>,
    mut error: String,
    default_target: &str,
) -> (Vec<NewCommand>, String) {
    match result.map(|r| r.and_then(|nexts| build(nexts, default_target))) {
        Some(Ok(rows)) => (rows, error),
        Some(Err(why)) => {
            error.push_str(&format!("; follow-ups not enqueued: {why}"));
            (Vec::new(), error)
        }
        None => (Vec::new(), error),
    }
}

fn build(nexts: Vec<Next>, default_target: &str) -> Result<Vec<NewCommand>, String> {
    nexts
        .into_iter()
        .map(|n| {
            n.into_new_command(default_target)
                .map_err(|e| e.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use uuid::Uuid;

    use super::*;

    fn claimed(retries_left: i32) -> ClaimedCommand {
        ClaimedCommand {
            id: Uuid::now_v7(),
            name: "x".into(),
            input: "null".into(),
            timeout: Duration::from_secs(1),
            retries_left,
            attempt: 1,
            lease_token: Uuid::new_v4(),
            cancel_requested: false,
        }
    }

    fn failed() -> Ended {
        Ended::Failed {
            kind: FailureKind::Failed,
            error: "boom".into(),
        }
    }

    #[test]
    fn failure_with_retries_left_is_retried() {
        let t = decide(&claimed(2), failed(), None, "k").unwrap();
        assert!(matches!(t.kind, TransitionKind::Retry { .. }));
        assert_eq!(t.retries_left, Some(1));
        let t = decide(&claimed(1), failed(), None, "k").unwrap();
        assert_eq!(t.retries_left, Some(0));
    }

    #[test]
    fn failure_of_last_retry_fails_with_minus_one() {
        let t = decide(&claimed(0), failed(), None, "k").unwrap();
        assert!(matches!(t.kind, TransitionKind::Fail { .. }));
        assert_eq!(t.retries_left, Some(-1));
        // A lapsed lease already took the last retry at claim time.
        let t = decide(&claimed(-1), failed(), None, "k").unwrap();
        assert_eq!(t.retries_left, Some(-1));
    }

    #[test]
    fn lost_lease_writes_nothing_and_release_keeps_retries() {
        assert!(decide(&claimed(1), Ended::LeaseLost, None, "k").is_none());
        let t = decide(&claimed(1), Ended::Released, None, "k").unwrap();
        assert!(matches!(t.kind, TransitionKind::Release));
        assert_eq!(t.retries_left, None);
    }

    #[test]
    fn every_write_is_fenced_by_the_claims_token() {
        let c = claimed(0);
        let t = decide(&c, Ended::Cancelled { reason: "r".into() }, None, "k").unwrap();
        assert_eq!(t.lease_token, Some(c.lease_token));
    }
}
