//! `workflow ID`: a workflow's steps as a graph a person can follow, one line per step with the
//! steps it waits for; `workflow ID --cancel` asks every unfinished step to cancel.
//!
//! Batch members have no key: they are named `member N` (in push order), and the text output
//! summarizes them by state unless `--all` is given, so a batch of thousands stays readable.

use std::collections::HashMap;

use orchestratum::workflow::StepInfo;
use orchestratum::{IfParentFails, State, WorkflowInfo};
use serde_json::json;
use uuid::Uuid;

use crate::Ctx;
use crate::cli::WorkflowArgs;
use crate::error::CliError;
use crate::output::{self, Table};

pub(crate) async fn run(ctx: &Ctx, args: WorkflowArgs) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    if args.cancel {
        let requested = client.cancel_workflow(args.id).await?;
        if ctx.json {
            output::print_json(&json!({"id": args.id, "requested": requested}));
        } else if requested == 0 {
            println!(
                "workflow {}: every step has already finished, nothing to cancel",
                args.id
            );
        } else {
            println!(
                "cancel requested for {requested} step(s) of workflow {}: the workers for their names end them canceled, with their follow-ups",
                args.id
            );
        }
        return Ok(());
    }
    let info = client.workflow(args.id).await?;
    if ctx.json {
        output::print_json(&serde_json::to_value(&info).unwrap_or_default());
        return Ok(());
    }
    print_graph(&info, args.all);
    Ok(())
}

fn print_graph(info: &WorkflowInfo, all: bool) {
    let labels = Labels::new(info);
    println!("workflow: {}  {}  {}", info.name, info.id, info.state);
    println!(
        "steps:    {} ({})",
        info.steps.len(),
        by_state(info.steps.iter())
    );
    let members: Vec<&StepInfo> = info.steps.iter().filter(|s| s.key.is_none()).collect();
    let listed: Vec<&StepInfo> = info
        .steps
        .iter()
        .filter(|s| all || s.key.is_some())
        .collect();
    if !members.is_empty() && !all {
        println!(
            "{}: {} (list them with --all)",
            count(members.len(), "member"),
            by_state(members.iter().copied())
        );
    }
    if listed.is_empty() {
        return;
    }
    let mut table = Table::new(["STEP", "ID", "NAME", "STATE", "ATTEMPT", "AFTER"]);
    for step in listed {
        table.row(vec![
            labels.of(step.command.id),
            step.command.id.to_string(),
            step.command.name.clone(),
            step.command.state().to_string(),
            step.command.attempt.to_string(),
            after(step, info, &labels),
        ]);
    }
    println!("\n{}", table.render());
}

/// What each step is called: its key, or `member N` for the N-th keyless step.
pub(crate) struct Labels(HashMap<Uuid, String>);

impl Labels {
    /// The labels of every step of `info`.
    pub(crate) fn new(info: &WorkflowInfo) -> Self {
        let mut member = 0;
        let labels = info
            .steps
            .iter()
            .map(|s| {
                let label = match &s.key {
                    Some(key) => key.clone(),
                    None => {
                        member += 1;
                        format!("member {member}")
                    }
                };
                (s.command.id, label)
            })
            .collect();
        Self(labels)
    }

    /// The label of step `id`; its id when it is not a step of the workflow.
    pub(crate) fn of(&self, id: Uuid) -> String {
        self.0.get(&id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// The AFTER column: the parents' labels (members counted, not listed), the edges that run
/// anyway, and the failure step's rule.
fn after(step: &StepInfo, info: &WorkflowInfo, labels: &Labels) -> String {
    let others = info.steps.len().saturating_sub(1);
    if step.failure_step && step.parents.len() == others {
        return "failure step: after every other step, if one failed or was canceled".into();
    }
    if step.parents.is_empty() {
        return "-".into();
    }
    let is_member = |id: &Uuid| {
        info.steps
            .iter()
            .any(|s| s.command.id == *id && s.key.is_none())
    };
    let (members, keyed): (Vec<_>, Vec<_>) = step.parents.iter().partition(|(id, _)| is_member(id));
    let mut names: Vec<String> = keyed.iter().map(|(id, _)| labels.of(*id)).collect();
    let mut run: Vec<String> = keyed
        .iter()
        .filter(|(_, p)| *p == IfParentFails::Run)
        .map(|(id, _)| labels.of(*id))
        .collect();
    let members_run = members
        .iter()
        .filter(|(_, p)| *p == IfParentFails::Run)
        .count();
    match members.len() {
        0 => {}
        1 => {
            names.push(labels.of(members[0].0));
            if members_run == 1 {
                run.push(labels.of(members[0].0));
            }
        }
        n => {
            names.push(count(n, "member"));
            if members_run == n {
                run.push("any member".into());
            } else {
                run.extend(
                    members
                        .iter()
                        .filter(|(_, p)| *p == IfParentFails::Run)
                        .map(|(id, _)| labels.of(*id)),
                );
            }
        }
    }
    let mut text = format!("after {}", names.join(", "));
    match run.len() {
        0 => {}
        1 => text += &format!(" (run if {} fails)", run[0]),
        _ => text += &format!(" (run if any of {} fails)", run.join(", ")),
    }
    if step.failure_step {
        text += " [failure step]";
    }
    text
}

/// `880 completed, 120 pending`: the non-zero counts, in lifecycle order.
pub(crate) fn by_state<'a>(steps: impl Iterator<Item = &'a StepInfo>) -> String {
    let mut counts = [0usize; State::ALL.len()];
    let mut total = 0;
    for s in steps {
        let state = s.command.state();
        if let Some(i) = State::ALL.iter().position(|&st| st == state) {
            counts[i] += 1;
        }
        total += 1;
    }
    if total == 0 {
        return "none".into();
    }
    State::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(st, n)| format!("{n} {st}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1 member`, `1000 members`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
