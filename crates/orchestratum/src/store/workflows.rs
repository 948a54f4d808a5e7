//! Workflows in the store: pushing a workflow's rows, counting a step's end in the steps that
//! wait for it (inside the finishing transaction, see `workflow/release.rs` for the rule),
//! reading a workflow and a step's parents, and canceling what has not finished.
//!
//! A step with parents is stored with `scheduled_at` 9999-12-31 (`WAITING` in each backend's
//! SQL) until it is released; its release sets the due time, and a cancel request with it
//! when the step is to be canceled rather than run.

use uuid::Uuid;

use super::Store;
use super::rows::{self, Columns};
use crate::error::{Error, Result};
use crate::workflow::release::{Counted, Resolved};
use crate::workflow::{
    IfParentFails, ParentStep, Parents, PlannedWorkflow, StepInfo, WorkflowInfo,
};

/// A step of `workflow_steps.sql`: the command's row with its key, role and workflow name.
pub(crate) fn step(r: &impl Columns) -> Result<(StepInfo, String)> {
    Ok((
        StepInfo {
            key: r.opt_text("step_key")?,
            failure_step: crate::workflow::is_failure_role(r.small("role")?),
            parents: Vec::new(),
            command: rows::record(r)?,
        },
        r.text("workflow_name")?,
    ))
}

/// An edge of `workflow_edges.sql`: (parent, child, policy).
pub(crate) fn edge(r: &impl Columns) -> Result<(Uuid, Uuid, IfParentFails)> {
    Ok((
        r.uuid("parent_id")?,
        r.uuid("child_id")?,
        IfParentFails::from_code(r.small("policy")?),
    ))
}

/// An edge `resolve_edges.sql` marked counted.
pub(crate) fn resolved(r: &impl Columns) -> Result<Resolved> {
    Ok(Resolved {
        parent_id: r.uuid("parent_id")?,
        child_id: r.uuid("child_id")?,
        policy: r.small("policy")?,
    })
}

/// A step row after `count_parents.sql`.
pub(crate) fn counted(r: &impl Columns) -> Result<Counted> {
    Ok(Counted {
        command_id: r.uuid("command_id")?,
        waiting: r.int("waiting")?,
        unmet: r.int("unmet")?,
        role: r.small("role")?,
        delay_us: r.big("delay_us")?,
    })
}

/// A parent of `parent_steps.sql`.
pub(crate) fn parent(r: &impl Columns) -> Result<ParentStep> {
    Ok(ParentStep {
        key: r.opt_text("step_key")?,
        command: rows::record(r)?,
    })
}

/// A step `cancel_workflow.sql` asked to cancel: its id, and whether a live lease holds it.
pub(crate) fn cancel_requested(r: &impl Columns) -> Result<(Uuid, bool)> {
    Ok((r.uuid("id")?, r.opt_flag("running")?.unwrap_or(false)))
}

/// The workflow view from its steps and edges; `None` when it has no step.
pub(crate) fn assemble(
    id: Uuid,
    steps: Vec<(StepInfo, String)>,
    edges: Vec<(Uuid, Uuid, IfParentFails)>,
) -> Option<WorkflowInfo> {
    let name = steps.first()?.1.clone();
    let mut steps: Vec<StepInfo> = steps.into_iter().map(|(s, _)| s).collect();
    // By id, not a scan per edge: a batch of N members has N edges into one callback.
    let at: std::collections::HashMap<Uuid, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.command.id, i))
        .collect();
    for (parent, child, policy) in edges {
        if let Some(&i) = at.get(&child) {
            steps[i].parents.push((parent, policy));
        }
    }
    for step in &mut steps {
        step.parents.sort_by_key(|(p, _)| *p);
    }
    Some(WorkflowInfo::new(id, name, steps))
}

impl Store {
    /// Inserts a workflow's commands, steps and edges in one transaction.
    pub(crate) async fn push_workflow(&self, workflow: &PlannedWorkflow) -> Result<()> {
        dispatch!(self, s => s.push_workflow(workflow).await)
    }

    /// A workflow's steps and state; `Error::WorkflowNotFound` for an unknown id.
    pub async fn workflow(&self, id: Uuid) -> Result<WorkflowInfo> {
        let found = dispatch!(self, s => s.workflow(id).await)?;
        found.ok_or(Error::WorkflowNotFound(id))
    }

    /// The parents of step `id` with their rows (none for a command that is not a step).
    pub async fn parents(&self, id: Uuid) -> Result<Parents> {
        let steps = dispatch!(self, s => s.parents(id).await)?;
        Ok(Parents { steps })
    }

    /// Asks every unfinished step of workflow `id` to cancel (a waiting one is released to be
    /// canceled); returns each with whether a live lease holds it.
    pub async fn cancel_workflow(&self, id: Uuid) -> Result<Vec<(Uuid, bool)>> {
        dispatch!(self, s => s.cancel_workflow(id).await)
    }
}
