//! What the end of some steps does to the steps that wait for them, in the finishing
//! transaction: the rule every backend applies between its three statements (resolve the
//! edges, count the ends in the children's rows, release the children).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::IfParentFails;
use super::plan::ROLE_FAILURE;
use crate::store::{Transition, TransitionKind};

/// A step that has just ended for good.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ended {
    pub id: Uuid,
    pub succeeded: bool,
}

/// An edge whose parent's end is being counted (it was not counted before).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    pub parent_id: Uuid,
    pub child_id: Uuid,
    pub policy: i16,
}

/// What one child's row gains from these ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub child_id: Uuid,
    /// Parents that ended.
    pub ended: i32,
    /// Of those, the ones that did not succeed.
    pub unmet: i32,
    /// A parent that did not succeed, through an edge that cancels the child.
    pub doomed: bool,
}

/// A child's row after the count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted {
    pub command_id: Uuid,
    pub waiting: i32,
    pub unmet: i32,
    pub role: i16,
    pub delay_us: i64,
}

/// A child to release: due after `delay_us`, or with a cancel request so that the worker that
/// claims it cancels it (with its `on_cancellation` follow-ups) instead of running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Release {
    pub command_id: Uuid,
    pub delay_us: i64,
    pub cancel: bool,
}

/// The steps among `transitions` whose terminal end was just written.
pub(crate) fn ended(transitions: &[Transition], applied: &[Uuid]) -> Vec<Ended> {
    transitions
        .iter()
        .filter(|t| t.step && applied.contains(&t.id))
        .filter_map(|t| {
            let succeeded = match t.kind {
                TransitionKind::Complete { .. } => true,
                TransitionKind::Fail { .. } | TransitionKind::Cancel { .. } => false,
                TransitionKind::Retry { .. } | TransitionKind::Release => return None,
            };
            Some(Ended {
                id: t.id,
                succeeded,
            })
        })
        .collect()
}

/// Sums the resolved edges per child, in child id order (the order rows are locked in, so
/// that two finishing transactions cannot wait for each other).
pub(crate) fn tally(ended: &[Ended], edges: &[Resolved]) -> Vec<Tally> {
    let mut by_child: BTreeMap<Uuid, Tally> = BTreeMap::new();
    for edge in edges {
        let succeeded = ended
            .iter()
            .find(|e| e.id == edge.parent_id)
            .is_some_and(|e| e.succeeded);
        let t = by_child.entry(edge.child_id).or_insert(Tally {
            child_id: edge.child_id,
            ended: 0,
            unmet: 0,
            doomed: false,
        });
        t.ended += 1;
        if !succeeded {
            t.unmet += 1;
            t.doomed |= IfParentFails::from_code(edge.policy) == IfParentFails::Cancel;
        }
    }
    by_child.into_values().collect()
}

/// The children to release: a doomed one at once (to be canceled); any other once no parent
/// is left, to run, except a failure step when every parent succeeded (canceled: not needed).
/// A child already released is left alone by the release statement itself.
pub(crate) fn releases(tallies: &[Tally], counted: &[Counted]) -> Vec<Release> {
    counted
        .iter()
        .filter_map(|c| {
            let doomed = tallies
                .iter()
                .any(|t| t.child_id == c.command_id && t.doomed);
            let not_needed = c.role == ROLE_FAILURE && c.unmet == 0;
            if doomed || (c.waiting <= 0 && not_needed) {
                Some(Release {
                    command_id: c.command_id,
                    delay_us: 0,
                    cancel: true,
                })
            } else if c.waiting <= 0 {
                Some(Release {
                    command_id: c.command_id,
                    delay_us: c.delay_us,
                    cancel: false,
                })
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::plan::ROLE_STEP;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn edge(parent: u128, child: u128, policy: IfParentFails) -> Resolved {
        Resolved {
            parent_id: id(parent),
            child_id: id(child),
            policy: policy.code(),
        }
    }

    fn counted(child: u128, waiting: i32, unmet: i32, role: i16) -> Counted {
        Counted {
            command_id: id(child),
            waiting,
            unmet,
            role,
            delay_us: 7,
        }
    }

    #[test]
    fn two_parents_ending_together_count_once_each_in_child_order() {
        let ended = [
            Ended {
                id: id(1),
                succeeded: true,
            },
            Ended {
                id: id(2),
                succeeded: false,
            },
        ];
        let edges = [
            edge(2, 9, IfParentFails::Run),
            edge(1, 9, IfParentFails::Run),
            edge(1, 5, IfParentFails::Cancel),
        ];
        let t = tally(&ended, &edges);
        assert_eq!(
            t.iter().map(|t| t.child_id).collect::<Vec<_>>(),
            [id(5), id(9)]
        );
        assert_eq!((t[1].ended, t[1].unmet, t[1].doomed), (2, 1, false));
        assert_eq!((t[0].ended, t[0].unmet, t[0].doomed), (1, 0, false));
    }

    #[test]
    fn a_failed_parent_dooms_a_cancel_edge_at_once_but_not_a_run_edge() {
        let ended = [Ended {
            id: id(1),
            succeeded: false,
        }];
        let t = tally(
            &ended,
            &[
                edge(1, 5, IfParentFails::Cancel),
                edge(1, 6, IfParentFails::Run),
            ],
        );
        let r = releases(
            &t,
            &[counted(5, 1, 1, ROLE_STEP), counted(6, 1, 1, ROLE_STEP)],
        );
        assert_eq!(
            r,
            [Release {
                command_id: id(5),
                delay_us: 0,
                cancel: true
            }]
        );
        // The run-anyway child is released, to run, when its last parent ends.
        let r = releases(&t, &[counted(6, 0, 1, ROLE_STEP)]);
        assert_eq!(
            r,
            [Release {
                command_id: id(6),
                delay_us: 7,
                cancel: false
            }]
        );
    }

    #[test]
    fn failure_step_runs_only_when_something_did_not_succeed() {
        let t = [Tally {
            child_id: id(5),
            ended: 1,
            unmet: 0,
            doomed: false,
        }];
        let skipped = releases(&t, &[counted(5, 0, 0, ROLE_FAILURE)]);
        assert!(skipped[0].cancel);
        let runs = releases(&t, &[counted(5, 0, 2, ROLE_FAILURE)]);
        assert!(!runs[0].cancel);
        assert!(releases(&t, &[counted(5, 1, 2, ROLE_FAILURE)]).is_empty());
    }
}
