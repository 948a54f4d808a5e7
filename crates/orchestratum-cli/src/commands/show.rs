//! `show ID`: every column, input and output as pretty JSON, every attempt, the parent and the
//! follow-ups; for a workflow step, its workflow, key, parents and children.

use orchestratum::workflow::StepInfo;
use orchestratum::{Attempt, CommandRecord, IfParentFails, WorkflowInfo};
use serde_json::json;
use uuid::Uuid;

use super::workflow::{Labels, by_state, count};
use crate::Ctx;
use crate::error::CliError;
use crate::output::{self, Table};

pub(crate) async fn run(ctx: &Ctx, id: Uuid) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let record = client.get(id).await?;
    let parent = match record.parent_id {
        Some(p) => match client.get(p).await {
            Ok(parent) => Some(parent),
            Err(orchestratum::Error::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let follow_ups = client.follow_ups(id).await?;
    let attempts = client.attempts(id).await?;
    let workflow = match record.workflow_id {
        Some(w) => match client.workflow(w).await {
            Ok(info) => Some(info),
            Err(orchestratum::Error::WorkflowNotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let step = workflow.as_ref().and_then(|w| StepView::new(w, id));
    if ctx.json {
        let mut value = output::record_json(&record);
        value["attempts"] = serde_json::to_value(&attempts).unwrap_or_default();
        value["parent"] = parent.as_ref().map_or(serde_json::Value::Null, brief_json);
        value["follow_ups"] = follow_ups.iter().map(brief_json).collect();
        value["workflow"] = step
            .as_ref()
            .map_or(serde_json::Value::Null, StepView::json);
        output::print_json(&value);
        return Ok(());
    }
    print_record(&record);
    println!();
    print_attempts(&attempts);
    match (&parent, record.parent_id) {
        (Some(p), _) => println!("parent:     {} {} ({})", p.id, p.name, p.state()),
        (None, Some(p)) => println!("parent:     {p} (no longer in the table)"),
        (None, None) => println!("parent:     -"),
    }
    if follow_ups.is_empty() {
        println!("follow-ups: -");
    } else {
        println!("follow-ups:");
        for f in &follow_ups {
            println!("  {} {} ({})", f.id, f.name, f.state());
        }
    }
    match (&step, record.workflow_id) {
        (Some(step), _) => step.print(),
        (None, Some(w)) => println!("workflow:   {w} (no longer in the table)"),
        (None, None) => {}
    }
    Ok(())
}

/// Most batch members listed among a step's parents or children; more are counted by state.
const MEMBERS_LISTED: usize = 20;

/// A step as `show` sees it: its workflow, its label, and its neighbours with their edges.
struct StepView<'a> {
    workflow: &'a WorkflowInfo,
    step: &'a StepInfo,
    label: String,
    /// Each parent with what this step does if it ends without success.
    parents: Vec<(&'a StepInfo, IfParentFails)>,
    /// Each step waiting for this one, with what it does if this one ends without success.
    children: Vec<(&'a StepInfo, IfParentFails)>,
}

impl<'a> StepView<'a> {
    /// The view of step `id` in `workflow`; `None` if it is not one of its steps.
    fn new(workflow: &'a WorkflowInfo, id: Uuid) -> Option<Self> {
        let step = workflow.steps.iter().find(|s| s.command.id == id)?;
        let find = |pid: Uuid| workflow.steps.iter().find(|s| s.command.id == pid);
        let parents = step
            .parents
            .iter()
            .filter_map(|&(pid, policy)| find(pid).map(|p| (p, policy)))
            .collect();
        let children = workflow
            .steps
            .iter()
            .filter_map(|s| {
                s.parents
                    .iter()
                    .find(|(pid, _)| *pid == id)
                    .map(|&(_, policy)| (s, policy))
            })
            .collect();
        Some(Self {
            workflow,
            step,
            label: Labels::new(workflow).of(id),
            parents,
            children,
        })
    }

    fn json(&self) -> serde_json::Value {
        let labels = Labels::new(self.workflow);
        let edges = |steps: &[(&StepInfo, IfParentFails)]| -> serde_json::Value {
            steps
                .iter()
                .map(|(s, policy)| {
                    json!({
                        "key": s.key,
                        "label": labels.of(s.command.id),
                        "id": s.command.id,
                        "name": s.command.name,
                        "state": s.command.state().as_str(),
                        "if_parent_fails": policy,
                    })
                })
                .collect()
        };
        json!({
            "id": self.workflow.id,
            "name": self.workflow.name,
            "state": self.workflow.state.as_str(),
            "key": self.step.key,
            "label": self.label,
            "failure_step": self.step.failure_step,
            "parents": edges(&self.parents),
            "children": edges(&self.children),
        })
    }

    fn print(&self) {
        let w = self.workflow;
        println!("workflow:   {} {} ({})", w.id, w.name, w.state);
        if self.step.failure_step {
            println!(
                "step:       {} (the failure step: runs once every other step has ended, if one failed or was canceled)",
                self.label
            );
        } else {
            println!("step:       {}", self.label);
        }
        let labels = Labels::new(w);
        for (title, edges, policy_header) in [
            ("parents", &self.parents, "IF_IT_FAILS"),
            ("children", &self.children, "IF_THIS_FAILS"),
        ] {
            if edges.is_empty() {
                println!("{:<11} -", format!("{title}:"));
                continue;
            }
            println!("{title}:");
            let members: Vec<&StepInfo> = edges
                .iter()
                .filter(|(s, _)| s.key.is_none())
                .map(|(s, _)| *s)
                .collect();
            let summarized = members.len() > MEMBERS_LISTED;
            let mut table = Table::new(["STEP", "ID", "NAME", "STATE", policy_header]);
            for (s, policy) in edges.iter() {
                if summarized && s.key.is_none() {
                    continue;
                }
                table.row(vec![
                    labels.of(s.command.id),
                    s.command.id.to_string(),
                    s.command.name.clone(),
                    s.command.state().to_string(),
                    policy_text(*policy).into(),
                ]);
            }
            if !table.is_empty() {
                println!("{}", indent(&table.render()));
            }
            if summarized {
                println!(
                    "  {}: {} (list them with `orchestratum workflow {} --all`)",
                    count(members.len(), "member"),
                    by_state(members.into_iter()),
                    w.id
                );
            }
        }
    }
}

/// What a step does when a parent ends without success, as `show` prints it.
fn policy_text(policy: IfParentFails) -> &'static str {
    match policy {
        IfParentFails::Cancel => "cancel",
        IfParentFails::Run => "run",
    }
}

/// The states a record's key is held in: always the unfinished ones, plus those it keeps.
fn unique_over(r: &CommandRecord) -> String {
    if r.unique_key.is_none() {
        return "-".into();
    }
    let mut states = vec!["unfinished"];
    states.extend(r.unique_over.iter().map(|s| s.as_str()));
    states.join(", ")
}

/// The due time, or what the far-future one of a waiting step stands for.
fn scheduled(r: &CommandRecord) -> String {
    if r.state() == orchestratum::State::Waiting {
        format!("{} (waiting for its parents)", output::time(r.scheduled_at))
    } else {
        output::time(r.scheduled_at)
    }
}

fn print_record(r: &CommandRecord) {
    let status = r
        .status()
        .map_or_else(|| "-".to_owned(), |s| format!("{s:?}"));
    let flag = |b: bool| if b { "true" } else { "false" };
    let lines = [
        ("id", r.id.to_string()),
        ("name", r.name.clone()),
        ("target", r.target.clone()),
        ("state", r.state().to_string()),
        ("status", status),
        ("scheduled_at", scheduled(r)),
        ("timeout", output::duration(r.timeout)),
        ("is_running", flag(r.is_running).into()),
        ("running_at", output::opt_time(r.running_at)),
        ("run_expires_at", output::opt_time(r.run_expires_at)),
        ("is_completed", flag(r.is_completed).into()),
        ("completed_at", output::opt_time(r.completed_at)),
        ("is_canceled", flag(r.is_canceled).into()),
        ("canceled_at", output::opt_time(r.canceled_at)),
        ("retries_left", output::retries_left(r.retries_left)),
        ("is_failed", flag(r.is_failed).into()),
        ("failed_at", output::opt_time(r.failed_at)),
        ("attempt", r.attempt.to_string()),
        (
            "last_outcome",
            r.last_outcome.map_or("-", |k| k.as_str()).into(),
        ),
        (
            "last_error",
            r.last_error.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "cancel_requested_at",
            output::opt_time(r.cancel_requested_at),
        ),
        ("priority", r.priority.to_string()),
        (
            "unique_key",
            r.unique_key.clone().unwrap_or_else(|| "-".into()),
        ),
        ("unique_over", unique_over(r)),
    ];
    for (key, value) in lines {
        println!("{:<20} {value}", format!("{key}:"));
    }
    println!(
        "input:\n{}",
        indent(&output::pretty_stored(r.input.as_deref()))
    );
    println!(
        "output:\n{}",
        indent(&output::pretty_stored(r.output.as_deref()))
    );
}

fn print_attempts(attempts: &[Attempt]) {
    if attempts.is_empty() {
        println!("attempts:   -");
        return;
    }
    let mut table =
        output::Table::new(["ATTEMPT", "OUTCOME", "STARTED", "ENDED", "WORKER", "ERROR"]);
    for a in attempts {
        table.row(vec![
            a.attempt.to_string(),
            a.outcome.to_string(),
            output::opt_time(a.started_at),
            output::opt_time(a.ended_at),
            a.worker_id.map_or_else(|| "-".into(), |w| w.to_string()),
            a.error.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    println!("attempts:");
    println!("{}", indent(&table.render()));
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn brief_json(r: &CommandRecord) -> serde_json::Value {
    json!({"id": r.id, "name": r.name, "state": r.state().as_str()})
}
