//! What a caller reads back about a workflow ([`WorkflowInfo`]) and what a step's handler
//! reads about its parents ([`Parents`]).

use serde::Serialize;
use uuid::Uuid;

use super::IfParentFails;
use super::plan::ROLE_FAILURE;
use crate::command::Command;
use crate::error::{Error, Result};
use crate::record::{CommandRecord, State};

/// Where a workflow is, judged from its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowState {
    /// Some step has not ended.
    Running,
    /// Every step completed.
    Completed,
    /// Every step ended, and at least one failed.
    Failed,
    /// Every step ended, none failed, and at least one was canceled.
    Canceled,
}

impl WorkflowState {
    /// The state's lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowState::Running => "running",
            WorkflowState::Completed => "completed",
            WorkflowState::Failed => "failed",
            WorkflowState::Canceled => "canceled",
        }
    }

    /// True once nothing more will happen to the workflow.
    pub fn is_terminal(self) -> bool {
        self != WorkflowState::Running
    }
}

impl std::fmt::Display for WorkflowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a workflow as stored: its key, its command's row and the steps it waits for.
#[derive(Debug, Clone, Serialize)]
pub struct StepInfo {
    /// Its key in the workflow (`None` for a batch member).
    pub key: Option<String>,
    /// True for the workflow's failure step.
    pub failure_step: bool,
    /// The command ids it waits for, with what it does if one ends without success.
    pub parents: Vec<(Uuid, IfParentFails)>,
    /// Its command's row.
    pub command: CommandRecord,
}

/// A workflow as stored: its steps and its overall state.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowInfo {
    /// The workflow's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its state, from its steps' (the failure step's own end aside).
    pub state: WorkflowState,
    /// Every step, in the order they were pushed.
    pub steps: Vec<StepInfo>,
}

impl WorkflowInfo {
    /// Builds the view; the state follows from the steps.
    pub(crate) fn new(id: Uuid, name: String, steps: Vec<StepInfo>) -> Self {
        let state = state_of(&steps);
        Self {
            id,
            name,
            state,
            steps,
        }
    }

    /// The step `key`, if there is one.
    pub fn step(&self, key: &str) -> Option<&StepInfo> {
        self.steps.iter().find(|s| s.key.as_deref() == Some(key))
    }
}

fn state_of(steps: &[StepInfo]) -> WorkflowState {
    if steps.iter().any(|s| !s.command.state().is_terminal()) {
        return WorkflowState::Running;
    }
    let ends = || {
        steps
            .iter()
            .filter(|s| !s.failure_step)
            .map(|s| s.command.state())
    };
    if ends().any(|s| s == State::Failed) {
        WorkflowState::Failed
    } else if ends().any(|s| s == State::Canceled) {
        WorkflowState::Canceled
    } else {
        WorkflowState::Completed
    }
}

/// `role` as stored → whether the step is the failure step.
pub(crate) fn is_failure_role(role: i16) -> bool {
    role == ROLE_FAILURE
}

/// One parent of the running step.
#[derive(Debug, Clone)]
pub struct ParentStep {
    /// Its key in the workflow (`None` for a batch member).
    pub key: Option<String>,
    /// Its command's row (its output is set once it completed).
    pub command: CommandRecord,
}

/// How a step's parents ended: what a batch callback reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ParentCounts {
    /// Parents that completed.
    pub succeeded: usize,
    /// Parents that failed for good.
    pub failed: usize,
    /// Parents that were canceled.
    pub canceled: usize,
}

/// The parents of the running step, read when the handler asks
/// ([`crate::Context::parents`]); empty for a command that is not a step.
#[derive(Debug, Clone, Default)]
pub struct Parents {
    pub(crate) steps: Vec<ParentStep>,
}

impl Parents {
    /// The typed output of the parent step `key`: `None` if it did not complete. Errors:
    /// [`Error::UnknownStep`] when no parent has that key, `WrongCommandType` when it is not a
    /// `C`, `Deserialize` when its output does not fit `C::Output`.
    pub fn output<C: Command>(&self, key: &str) -> Result<Option<C::Output>> {
        let parent = self
            .steps
            .iter()
            .find(|p| p.key.as_deref() == Some(key))
            .ok_or_else(|| Error::UnknownStep(key.to_owned()))?;
        typed_output::<C>(&parent.command)
    }

    /// The typed outputs of every parent of type `C` that completed, in push order (a batch
    /// callback's members, for example).
    pub fn outputs<C: Command>(&self) -> Result<Vec<C::Output>> {
        self.steps
            .iter()
            .filter(|p| p.command.name == C::name())
            .filter_map(|p| typed_output::<C>(&p.command).transpose())
            .collect()
    }

    /// How many parents succeeded, failed and were canceled.
    pub fn counts(&self) -> ParentCounts {
        let mut counts = ParentCounts::default();
        for p in &self.steps {
            match p.command.state() {
                State::Completed => counts.succeeded += 1,
                State::Failed => counts.failed += 1,
                State::Canceled => counts.canceled += 1,
                _ => {}
            }
        }
        counts
    }

    /// Every parent, in push order.
    pub fn iter(&self) -> impl Iterator<Item = &ParentStep> {
        self.steps.iter()
    }

    /// How many parents the step has.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the step has no parents (or is not a step).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

fn typed_output<C: Command>(record: &CommandRecord) -> Result<Option<C::Output>> {
    if record.name != C::name() {
        return Err(Error::WrongCommandType {
            id: record.id,
            expected: C::name().into_owned(),
            found: record.name.clone(),
        });
    }
    if record.state() != State::Completed {
        return Ok(None);
    }
    let text = record.output.as_deref().unwrap_or("null");
    serde_json::from_str(text)
        .map(Some)
        .map_err(|source| Error::Deserialize {
            what: "output",
            id: record.id,
            name: record.name.clone(),
            source,
        })
}
