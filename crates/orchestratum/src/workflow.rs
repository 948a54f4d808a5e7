//! Workflows and batches: steps (typed commands) and the edges between them, pushed in one
//! transaction. A step with parents waits until they have ended; the finishing transaction of
//! the last one releases it (see decision 0017).
//!
//! ```
//! use orchestratum::workflow::{IfParentFails, Step, Workflow};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)] struct FetchCommand;
//! # impl orchestratum::Command for FetchCommand { type Output = String; }
//! # #[derive(Serialize, Deserialize)] struct ParseCommand;
//! # impl orchestratum::Command for ParseCommand { type Output = u32; }
//! # #[derive(Serialize, Deserialize)] struct MergeCommand;
//! # impl orchestratum::Command for MergeCommand { type Output = (); }
//! # #[derive(Serialize, Deserialize)] struct AlertCommand;
//! # impl orchestratum::Command for AlertCommand { type Output = (); }
//! // A → B, C → D: B and C run in parallel once A has succeeded; D once both have.
//! let workflow = Workflow::new("report")
//!     .step(Step::new("a", FetchCommand))
//!     .step(Step::new("b", ParseCommand).after("a"))
//!     .step(Step::new("c", ParseCommand).after("a"))
//!     .step(Step::new("d", MergeCommand).after("b").after_with("c", IfParentFails::Run))
//!     .on_failure(Step::new("alert", AlertCommand));
//! ```

mod plan;
pub(crate) mod release;
mod view;

use chrono::{DateTime, Datelike as _, Utc};
use serde::Serialize;

pub(crate) use self::plan::PlannedWorkflow;
pub use self::plan::{PushedStep, PushedWorkflow};
pub(crate) use self::view::is_failure_role;
pub use self::view::{ParentCounts, ParentStep, Parents, StepInfo, WorkflowInfo, WorkflowState};
use crate::command::Command;
use crate::error::Result;
use crate::push::{Planned, Push};

/// The year of the `scheduled_at` a waiting step is stored with (9999-12-31): no claim, ours or
/// the .NET library's, takes a row due that late, and no index or claim statement changes.
const WAITING_YEAR: i32 = 9999;

/// True when `scheduled_at` marks a step waiting for its parents.
pub(crate) fn is_waiting(scheduled_at: DateTime<Utc>) -> bool {
    scheduled_at.year() >= WAITING_YEAR
}

/// What a step does when a parent ends without success (fails for good or is canceled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IfParentFails {
    /// The step is canceled at once, with its `on_cancellation` follow-ups, and so in turn are
    /// the steps that need it. The default.
    #[default]
    Cancel,
    /// The step runs anyway, once all its parents have ended.
    Run,
}

impl IfParentFails {
    /// The value stored in `policy`.
    pub(crate) fn code(self) -> i16 {
        match self {
            IfParentFails::Cancel => 0,
            IfParentFails::Run => 1,
        }
    }

    /// Reads a stored `policy`.
    pub(crate) fn from_code(code: i16) -> Self {
        if code == 1 {
            IfParentFails::Run
        } else {
            IfParentFails::Cancel
        }
    }
}

/// One step of a [`Workflow`]: a command, its key in the workflow, and the steps it waits for.
#[derive(Debug)]
pub struct Step {
    pub(crate) key: Option<String>,
    pub(crate) planned: Result<Planned>,
    pub(crate) parents: Vec<(String, Option<IfParentFails>)>,
}

impl Step {
    /// A step running `command` with its type's defaults; `key` names it in the workflow
    /// (1 to 255 characters, unique in the workflow).
    pub fn new<C: Command>(key: impl Into<String>, command: C) -> Self {
        Self::with(key, command, Push::new())
    }

    /// A step with per-push overrides (target, timeout, retries, priority; a delay counts
    /// from the moment the step is released). A step cannot be unique.
    pub fn with<C: Command>(key: impl Into<String>, command: C, push: Push) -> Self {
        Self {
            key: Some(key.into()),
            planned: Planned::new(&command, push),
            parents: Vec::new(),
        }
    }

    /// Waits for the step `key` to end; what happens if it ends without success is the
    /// workflow's [`Workflow::if_parent_fails`].
    pub fn after(mut self, key: impl Into<String>) -> Self {
        self.parents.push((key.into(), None));
        self
    }

    /// Waits for the step `key` to end, and does as `policy` says if it ends without success.
    pub fn after_with(mut self, key: impl Into<String>, policy: IfParentFails) -> Self {
        self.parents.push((key.into(), Some(policy)));
        self
    }

    /// A step without a key: a batch member.
    fn member(planned: Result<Planned>) -> Self {
        Self {
            key: None,
            planned,
            parents: Vec::new(),
        }
    }
}

/// A graph of steps pushed in one transaction: each step is claimable once every parent has
/// ended as its edge requires.
#[derive(Debug)]
pub struct Workflow {
    pub(crate) name: String,
    pub(crate) steps: Vec<Step>,
    pub(crate) failure: Option<Step>,
    pub(crate) if_parent_fails: IfParentFails,
    /// A batch: keyless members and one callback after all of them.
    pub(crate) batch: bool,
}

impl Workflow {
    /// An empty workflow; `name` (1 to 255 characters) is shown by `orchestratum workflow`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            steps: Vec::new(),
            failure: None,
            if_parent_fails: IfParentFails::Cancel,
            batch: false,
        }
    }

    /// Adds a step; its parents must be steps of this workflow, and the graph acyclic.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// What a step does when a parent ends without success, for every edge added with
    /// [`Step::after`] (default [`IfParentFails::Cancel`]).
    pub fn if_parent_fails(mut self, policy: IfParentFails) -> Self {
        self.if_parent_fails = policy;
        self
    }

    /// A step that runs once every other step has ended, if at least one of them failed or
    /// was canceled; when all succeeded it is canceled without running. It has no parents of
    /// its own (it waits for every step), and its own end does not change the workflow's state.
    pub fn on_failure(mut self, step: Step) -> Self {
        self.failure = Some(step);
        self
    }
}

/// Commands pushed together with a callback that runs once, after all of them have ended
/// (whatever the end); its handler reads how many succeeded, failed and were canceled with
/// [`crate::Context::parents`] and [`Parents::counts`].
#[derive(Debug)]
pub struct Batch {
    name: String,
    members: Vec<Step>,
    callback: Option<Step>,
}

impl Batch {
    /// An empty batch; `name` (1 to 255 characters) is shown by `orchestratum workflow`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            members: Vec::new(),
            callback: None,
        }
    }

    /// Adds a member with its type's defaults.
    pub fn command<C: Command>(self, command: C) -> Self {
        self.command_with(command, Push::new())
    }

    /// Adds a member with per-push overrides.
    pub fn command_with<C: Command>(mut self, command: C, push: Push) -> Self {
        self.members
            .push(Step::member(Planned::new(&command, push)));
        self
    }

    /// Adds members of one type with their type's defaults.
    pub fn commands<C: Command>(mut self, commands: impl IntoIterator<Item = C>) -> Self {
        for command in commands {
            self = self.command(command);
        }
        self
    }

    /// The command run once every member has ended (required).
    pub fn callback<C: Command>(self, command: C) -> Self {
        self.callback_with(command, Push::new())
    }

    /// The callback, with per-push overrides.
    pub fn callback_with<C: Command>(mut self, command: C, push: Push) -> Self {
        self.callback = Some(Step::with("callback", command, push));
        self
    }
}

impl From<Batch> for Workflow {
    fn from(batch: Batch) -> Self {
        let mut steps = batch.members;
        if let Some(callback) = batch.callback {
            steps.push(callback);
        }
        Workflow {
            name: batch.name,
            steps,
            failure: None,
            if_parent_fails: IfParentFails::Run,
            batch: true,
        }
    }
}
