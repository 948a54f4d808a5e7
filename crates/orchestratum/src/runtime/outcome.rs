//! How a run ended, and the transition it leads to: the retry rule of the reference, in one
//! pure function.

use crate::command::{Canceled, Failure};
use crate::handler::registry::Entry;
use crate::next::Next;
use crate::push::NewCommand;
use crate::record::FailureKind;
use crate::retry::Backoff;
use crate::store::{ClaimedCommand, Limits, Transition, TransitionKind};

/// How one run ended, as the executor saw it.
pub(crate) enum Ended {
    /// The handler returned output; its success follow-ups, or why they could not be built.
    Succeeded {
        output: String,
        follow_ups: Result<Vec<Next>, String>,
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

/// What follow-up rows are built and checked with: the completing instance's key (their
/// default target) and what the backend can store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowRules<'a> {
    pub default_target: &'a str,
    pub limits: Limits,
    /// Retry delays of command types that leave theirs to the instance.
    pub retry_backoff: Backoff,
}

/// The transition a run's end leads to, or `None` when nothing may be written.
///
/// Failure: `retries_left - 1 >= 0` → pending again after the type's retry delay; otherwise
/// failed with `retries_left = -1` and the `on_failure` follow-ups. A success is written as one
/// even when its follow-ups cannot be (the reason goes in `last_error`): the handler's side
/// effects happened, and a retry would repeat them.
pub(crate) fn decide(
    claimed: &ClaimedCommand,
    ended: Ended,
    entry: Option<&Entry>,
    rules: RowRules<'_>,
) -> Option<Transition> {
    let transition = |kind, retries_left, follow_ups| Transition {
        id: claimed.id,
        lease_token: Some(claimed.lease_token),
        kind,
        retries_left,
        follow_ups,
        // The executor says whether a handler ran.
        ran: false,
        step: claimed.workflow_id.is_some(),
    };
    match ended {
        Ended::LeaseLost => None,
        Ended::Released => Some(transition(TransitionKind::Release, None, Vec::new())),
        Ended::Succeeded { output, follow_ups } => {
            let (kind, rows) = success(output, follow_ups, rules);
            Some(transition(kind, None, rows))
        }
        Ended::Failed { kind, error } => {
            let error = storable_text(error);
            let remaining = claimed.retries_left - 1;
            let retry = (remaining >= 0 && kind != FailureKind::Discarded).then(|| {
                let attempt = u32::try_from(claimed.attempt).unwrap_or(1);
                let delay = entry
                    .and_then(|e| e.command.retry_delay(&claimed.input, attempt))
                    .unwrap_or_else(|| rules.retry_backoff.delay(attempt));
                rules
                    .limits
                    .check_delay("retry delay", &claimed.name, delay)
                    .map(|()| delay)
            });
            let error = match retry {
                Some(Ok(delay)) => {
                    return Some(transition(
                        TransitionKind::Retry { delay, error, kind },
                        Some(remaining),
                        Vec::new(),
                    ));
                }
                // A delay the backend cannot store: the retry cannot be scheduled as asked, so
                // the command fails for good, with both reasons.
                Some(Err(why)) => format!("{error}; not retried: {why}"),
                None => error,
            };
            // A claim that found the retries used up by a lapsed lease did not run the handler.
            let attempts = ran(claimed, claimed.retries_left >= 0);
            let failure = Failure::new(kind, error.clone(), attempts);
            let (rows, error) = hooks(
                entry.map(|e| e.command.on_failure(&claimed.input, &failure)),
                error,
                rules,
            );
            Some(transition(
                TransitionKind::Fail { error, kind },
                Some(-1),
                rows,
            ))
        }
        Ended::Cancelled { reason } => {
            let reason = storable_text(reason);
            // A claim that found a cancel request did not run the handler.
            let canceled = Canceled::new(reason.clone(), ran(claimed, !claimed.cancel_requested));
            let (rows, reason) = hooks(
                entry.map(|e| e.command.on_cancellation(&claimed.input, &canceled)),
                reason,
                rules,
            );
            Some(transition(TransitionKind::Cancel { reason }, None, rows))
        }
    }
}

/// A success's transition kind and follow-up rows. A success is written as one even when its
/// follow-ups cannot be (the reason goes in `last_error`): the handler's side effects
/// happened, and a retry would repeat them.
pub(crate) fn success(
    output: String,
    follow_ups: Result<Vec<Next>, String>,
    rules: RowRules<'_>,
) -> (TransitionKind, Vec<NewCommand>) {
    let (rows, note) = match follow_ups.and_then(|nexts| build(nexts, rules)) {
        Ok(rows) => (rows, None),
        Err(why) => (
            Vec::new(),
            Some(storable_text(format!(
                "succeeded; follow-ups not enqueued: {why}"
            ))),
        ),
    };
    (TransitionKind::Complete { output, note }, rows)
}

/// Runs the command had by the end of this claim: the `attempt` column counts claims, and
/// this one ran the handler only if `handler_ran`.
fn ran(claimed: &ClaimedCommand, handler_ran: bool) -> u32 {
    let claims = u32::try_from(claimed.attempt).unwrap_or(0);
    if handler_ran {
        claims
    } else {
        claims.saturating_sub(1)
    }
}

/// Builds follow-ups from a hook's result; a hook that could not run is noted in the error text
/// rather than blocking the terminal transition.
pub(crate) fn hooks(
    result: Option<Result<Vec<Next>, String>>,
    mut error: String,
    rules: RowRules<'_>,
) -> (Vec<NewCommand>, String) {
    match result.map(|r| r.and_then(|nexts| build(nexts, rules))) {
        Some(Ok(rows)) => (rows, error),
        Some(Err(why)) => {
            error.push_str(&storable_text(format!("; follow-ups not enqueued: {why}")));
            (Vec::new(), error)
        }
        None => (Vec::new(), error),
    }
}

fn build(nexts: Vec<Next>, rules: RowRules<'_>) -> Result<Vec<NewCommand>, String> {
    nexts
        .into_iter()
        .map(|n| {
            let row = n.into_new_command(rules.default_target)?;
            rules.limits.check(&row)?;
            Ok(row)
        })
        .collect::<crate::error::Result<_>>()
        .map_err(|e| e.to_string())
}

/// `text` as every backend can store it: NUL characters (which PostgreSQL refuses in `text`,
/// and which any lossy decoding of bytes can produce) become U+FFFD.
pub(crate) fn storable_text(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
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
            workflow_id: None,
            queue_wait: Duration::ZERO,
        }
    }

    const RULES: RowRules<'static> = RowRules {
        default_target: "k",
        limits: Limits::DEFAULT,
        retry_backoff: Backoff::NONE,
    };

    fn failed() -> Ended {
        Ended::Failed {
            kind: FailureKind::Failed,
            error: "boom".into(),
        }
    }

    #[test]
    fn failure_with_retries_left_is_retried() {
        let t = decide(&claimed(2), failed(), None, RULES).unwrap();
        assert!(matches!(t.kind, TransitionKind::Retry { .. }));
        assert_eq!(t.retries_left, Some(1));
        let t = decide(&claimed(1), failed(), None, RULES).unwrap();
        assert_eq!(t.retries_left, Some(0));
    }

    #[test]
    fn failure_of_last_retry_fails_with_minus_one() {
        let t = decide(&claimed(0), failed(), None, RULES).unwrap();
        assert!(matches!(t.kind, TransitionKind::Fail { .. }));
        assert_eq!(t.retries_left, Some(-1));
        // A lapsed lease already took the last retry at claim time.
        let t = decide(&claimed(-1), failed(), None, RULES).unwrap();
        assert_eq!(t.retries_left, Some(-1));
    }

    #[test]
    fn lost_lease_writes_nothing_and_release_keeps_retries() {
        assert!(decide(&claimed(1), Ended::LeaseLost, None, RULES).is_none());
        let t = decide(&claimed(1), Ended::Released, None, RULES).unwrap();
        assert!(matches!(t.kind, TransitionKind::Release));
        assert_eq!(t.retries_left, None);
    }

    #[test]
    fn every_write_is_fenced_by_the_claims_token() {
        let c = claimed(0);
        let t = decide(&c, Ended::Cancelled { reason: "r".into() }, None, RULES).unwrap();
        assert_eq!(t.lease_token, Some(c.lease_token));
    }
}
