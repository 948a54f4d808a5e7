//! A workflow checked and lowered into the rows one push writes: the commands, their step rows
//! and the edges.

use std::collections::HashMap;

use uuid::Uuid;

use super::{IfParentFails, Step, Workflow};
use crate::error::{Error, Result};
use crate::push::NewCommand;
use crate::store::{Limits, micros};

/// Longest workflow name and step key, in characters (MySQL stores them as `varchar(255)`).
const TEXT_MAX: usize = 255;

/// A step's `role`: an ordinary step.
pub(crate) const ROLE_STEP: i16 = 0;
/// A step's `role`: the workflow's failure step.
pub(crate) const ROLE_FAILURE: i16 = 1;

/// What a push of a workflow inserted: its id and the command id of each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedWorkflow {
    /// The workflow's id, for [`crate::Client::workflow`].
    pub id: Uuid,
    /// Every step in the order given (a batch's members, then its callback; the failure step
    /// last).
    pub steps: Vec<PushedStep>,
}

impl PushedWorkflow {
    /// The command id of the step `key`.
    pub fn step(&self, key: &str) -> Option<Uuid> {
        self.steps
            .iter()
            .find(|s| s.key.as_deref() == Some(key))
            .map(|s| s.id)
    }
}

/// One pushed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedStep {
    /// Its key (`None` for a batch member).
    pub key: Option<String>,
    /// Its command's id.
    pub id: Uuid,
}

/// The rows of one workflow push (part of the store seam).
#[derive(Debug, Clone)]
pub(crate) struct PlannedWorkflow {
    pub id: Uuid,
    pub name: String,
    /// The commands, as a plain push inserts them (steps with parents are then marked waiting).
    pub rows: Vec<NewCommand>,
    /// One per row, in the same order.
    pub steps: Vec<StepRow>,
    pub edges: Vec<EdgeRow>,
}

/// The step row of one command.
#[derive(Debug, Clone)]
pub(crate) struct StepRow {
    pub command_id: Uuid,
    pub key: Option<String>,
    pub role: i16,
    /// Parents not ended yet; 0 for a root, which is due as it is pushed.
    pub waiting: i32,
    /// How long after its release the step is due.
    pub delay_us: i64,
}

/// One edge: `child_id` waits for `parent_id`.
#[derive(Debug, Clone)]
pub(crate) struct EdgeRow {
    pub parent_id: Uuid,
    pub child_id: Uuid,
    pub policy: i16,
}

impl PlannedWorkflow {
    /// What the push reports.
    pub(crate) fn pushed(&self) -> PushedWorkflow {
        PushedWorkflow {
            id: self.id,
            steps: self
                .steps
                .iter()
                .map(|s| PushedStep {
                    key: s.key.clone(),
                    id: s.command_id,
                })
                .collect(),
        }
    }
}

impl Workflow {
    /// Checks the graph and builds its rows; `default_target` is the pushing instance's key.
    pub(crate) fn plan(self, default_target: &str, limits: Limits) -> Result<PlannedWorkflow> {
        let name = self.name;
        let invalid = |reason: String| Error::InvalidWorkflow {
            name: name.escape_default().to_string(),
            reason,
        };
        check_text(&name).map_err(|why| invalid(format!("its name {why}")))?;
        let mut steps = self.steps;
        if steps.is_empty() {
            return Err(invalid("it has no step".into()));
        }
        if self.batch {
            let keyed = steps.iter().filter(|s| s.key.is_some()).count();
            if keyed != 1 || steps.len() < 2 {
                return Err(invalid(
                    "a batch needs at least one command and a callback".into(),
                ));
            }
            // The callback waits for every member, whatever their end.
            let members = steps.len() - 1;
            let callback = steps.last_mut().map(|s| &mut s.parents);
            if let Some(parents) = callback {
                parents.extend((0..members).map(|i| (member_key(i), Some(IfParentFails::Run))));
            }
        }
        let failure_at = self.failure.is_some().then_some(steps.len());
        if let Some(failure) = self.failure {
            if !failure.parents.is_empty() {
                return Err(invalid(
                    "the failure step waits for every step: it takes no `after`".into(),
                ));
            }
            steps.push(failure);
        }

        // Keys, and the index of each.
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, step) in steps.iter().enumerate() {
            let key = match &step.key {
                Some(key) => {
                    check_text(key).map_err(|why| invalid(format!("step key {key:?} {why}")))?;
                    key.clone()
                }
                None => member_key(i),
            };
            if index.insert(key.clone(), i).is_some() {
                return Err(invalid(format!("two steps have the key {key:?}")));
            }
        }

        // Edges by index, each checked; the failure step gets one from every other step.
        let mut edges: Vec<(usize, usize, IfParentFails)> = Vec::new();
        for (child, step) in steps.iter().enumerate() {
            for (key, policy) in &step.parents {
                let &parent = index.get(key).ok_or_else(|| {
                    invalid(format!(
                        "step {:?} waits for {key:?}, which is not a step of it",
                        display_key(step, child)
                    ))
                })?;
                if parent == child {
                    return Err(invalid(format!("step {key:?} waits for itself")));
                }
                if edges.iter().any(|&(p, c, _)| p == parent && c == child) {
                    return Err(invalid(format!(
                        "step {:?} waits for {key:?} twice",
                        display_key(step, child)
                    )));
                }
                edges.push((parent, child, policy.unwrap_or(self.if_parent_fails)));
            }
        }
        if let Some(failure) = failure_at {
            edges.extend((0..failure).map(|p| (p, failure, IfParentFails::Run)));
        }
        if let Some(step) = cycle(steps.len(), &edges) {
            return Err(invalid(format!(
                "its steps wait for each other in a cycle (through {:?})",
                display_key(&steps[step], step)
            )));
        }

        let mut parents = vec![0i32; steps.len()];
        for &(_, child, _) in &edges {
            parents[child] += 1;
        }
        let id = Uuid::now_v7();
        let mut rows = Vec::with_capacity(steps.len());
        let mut step_rows = Vec::with_capacity(steps.len());
        for (i, step) in steps.into_iter().enumerate() {
            let planned = step.planned.map_err(|e| invalid(e.to_string()))?;
            if planned.unique_key.is_some() {
                return Err(invalid(format!(
                    "step {:?} has a unique key; a step cannot be unique",
                    step.key.as_deref().unwrap_or("member")
                )));
            }
            let mut row = planned.into_row(default_target)?;
            limits.check(&row)?;
            // A waiting step's delay counts from its release.
            let delay_us = if parents[i] > 0 {
                micros(std::mem::take(&mut row.delay))
            } else {
                0
            };
            step_rows.push(StepRow {
                command_id: row.id,
                key: step.key,
                role: if Some(i) == failure_at {
                    ROLE_FAILURE
                } else {
                    ROLE_STEP
                },
                waiting: parents[i],
                delay_us,
            });
            rows.push(row);
        }
        let edges = edges
            .into_iter()
            .map(|(p, c, policy)| EdgeRow {
                parent_id: rows[p].id,
                child_id: rows[c].id,
                policy: policy.code(),
            })
            .collect();
        Ok(PlannedWorkflow {
            id,
            name,
            rows,
            steps: step_rows,
            edges,
        })
    }
}

/// The internal key of a batch member (never stored: members have none).
fn member_key(i: usize) -> String {
    format!("\0member {i}")
}

fn display_key(step: &Step, i: usize) -> String {
    step.key.clone().unwrap_or_else(|| format!("member {i}"))
}

/// Why a name or key cannot be stored, if it cannot.
fn check_text(text: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if chars == 0 || chars > TEXT_MAX {
        return Err(format!("must be 1 to {TEXT_MAX} characters, got {chars}"));
    }
    if text.contains('\0') {
        return Err("contains a NUL character".into());
    }
    Ok(())
}

/// A step on a cycle, if the edges have one (Kahn's algorithm: what cannot be ordered is on
/// or behind a cycle).
fn cycle(n: usize, edges: &[(usize, usize, IfParentFails)]) -> Option<usize> {
    let mut indegree = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for &(p, c, _) in edges {
        indegree[c] += 1;
        children[p].push(c);
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut ordered = 0;
    while let Some(i) = ready.pop() {
        ordered += 1;
        for &c in &children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.push(c);
            }
        }
    }
    (ordered < n).then(|| (0..n).find(|&i| indegree[i] > 0).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::Command;
    use crate::push::Push;
    use crate::workflow::Batch;

    #[derive(Serialize, Deserialize)]
    struct Noop;
    impl Command for Noop {
        type Output = ();
    }

    fn plan(workflow: Workflow) -> Result<PlannedWorkflow> {
        workflow.plan("k", Limits::DEFAULT)
    }

    fn reason(workflow: Workflow) -> String {
        match plan(workflow) {
            Err(Error::InvalidWorkflow { reason, .. }) => reason,
            other => panic!("expected InvalidWorkflow, got {other:?}"),
        }
    }

    #[test]
    fn diamond_has_four_edges_and_one_root() {
        let p = plan(
            Workflow::new("w")
                .step(Step::new("a", Noop))
                .step(Step::new("b", Noop).after("a"))
                .step(Step::new("c", Noop).after_with("a", IfParentFails::Run))
                .step(Step::new("d", Noop).after("b").after("c")),
        )
        .unwrap();
        assert_eq!(p.edges.len(), 4);
        let waiting: Vec<i32> = p.steps.iter().map(|s| s.waiting).collect();
        assert_eq!(waiting, [0, 1, 1, 2]);
        assert_eq!(p.edges[1].policy, IfParentFails::Run.code());
        assert_eq!(p.edges[0].policy, IfParentFails::Cancel.code());
    }

    #[test]
    fn bad_graphs_are_refused_with_the_reason() {
        assert!(reason(Workflow::new("w")).contains("no step"));
        assert!(reason(Workflow::new("").step(Step::new("a", Noop))).contains("name"));
        let dup = Workflow::new("w")
            .step(Step::new("a", Noop))
            .step(Step::new("a", Noop));
        assert!(reason(dup).contains("two steps have the key \"a\""));
        let unknown = Workflow::new("w").step(Step::new("a", Noop).after("zz"));
        assert!(reason(unknown).contains("\"zz\", which is not a step"));
        let selfish = Workflow::new("w").step(Step::new("a", Noop).after("a"));
        assert!(reason(selfish).contains("itself"));
        let twice = Workflow::new("w")
            .step(Step::new("a", Noop))
            .step(Step::new("b", Noop).after("a").after("a"));
        assert!(reason(twice).contains("twice"));
        let cyclic = Workflow::new("w")
            .step(Step::new("a", Noop).after("c"))
            .step(Step::new("b", Noop).after("a"))
            .step(Step::new("c", Noop).after("b"));
        assert!(reason(cyclic).contains("cycle"));
        let unique = Workflow::new("w").step(Step::with("a", Noop, Push::new().unique_key("k")));
        assert!(reason(unique).contains("cannot be unique"));
        let failure_with_parents = Workflow::new("w")
            .step(Step::new("a", Noop))
            .on_failure(Step::new("f", Noop).after("a"));
        assert!(reason(failure_with_parents).contains("takes no `after`"));
        assert!(reason(Batch::new("b").command(Noop).into()).contains("callback"));
        let long = "x".repeat(256);
        assert!(reason(Workflow::new("w").step(Step::new(long, Noop))).contains("1 to 255"));
    }

    #[test]
    fn failure_step_waits_for_every_step() {
        let p = plan(
            Workflow::new("w")
                .step(Step::new("a", Noop))
                .step(Step::new("b", Noop).after("a"))
                .on_failure(Step::new("f", Noop)),
        )
        .unwrap();
        let f = &p.steps[2];
        assert_eq!((f.role, f.waiting), (ROLE_FAILURE, 2));
        assert!(
            p.edges
                .iter()
                .filter(|e| e.child_id == f.command_id)
                .all(|e| e.policy == IfParentFails::Run.code())
        );
    }

    #[test]
    fn batch_callback_waits_for_every_member_and_delays_count_from_release() {
        let p = plan(
            Batch::new("b")
                .commands([Noop, Noop, Noop])
                .callback_with(Noop, Push::new().delay(std::time::Duration::from_secs(2)))
                .into(),
        )
        .unwrap();
        assert_eq!(p.rows.len(), 4);
        let callback = &p.steps[3];
        assert_eq!(callback.waiting, 3);
        assert_eq!(callback.key.as_deref(), Some("callback"));
        assert_eq!(callback.delay_us, 2_000_000);
        assert!(p.rows[3].delay.is_zero());
        assert!(p.steps[..3].iter().all(|s| s.key.is_none()));
    }
}
