//! `status`: counts by state, name and target; the oldest pending command; paused names and
//! fleet limits; lapsed leases; the commands no live worker handles.

use std::collections::BTreeMap;

use orchestratum::State;
use orchestratum::admin::StateCounts;
use serde_json::{Value, json};

use crate::Ctx;
use crate::cli::StatusArgs;
use crate::error::CliError;
use crate::output::{self, Table};

/// Most lapsed leases listed.
const EXPIRED_SHOWN: usize = 20;

pub(crate) async fn run(ctx: &Ctx, args: StatusArgs) -> Result<(), CliError> {
    let client = ctx.connect_migrated().await?;
    let s = client.admin().summary(EXPIRED_SHOWN).await?;
    let unhandled = client.unhandled(args.unhandled_after).await?;
    if ctx.json {
        let groups = |m: &BTreeMap<String, StateCounts>| -> Value {
            m.iter().map(|(k, c)| (k.clone(), counts_json(c))).collect()
        };
        output::print_json(&json!({
            "by_state": counts_json(&s.by_state),
            "by_name": groups(&s.by_name),
            "by_target": groups(&s.by_target),
            "oldest_pending_age_seconds": s.oldest_pending_age.map(output::json_secs),
            "expired_leases": s.expired_leases,
            "expired": s.expired.iter().map(|r| json!({
                "id": r.id,
                "name": r.name,
                "target": r.target,
                "attempt": r.attempt,
                "retries_left": r.retries_left,
                "run_expires_at": r.run_expires_at.map(output::json_time),
            })).collect::<Vec<_>>(),
            "unhandled": serde_json::to_value(&unhandled).unwrap_or_default(),
            "paused": s.controls.iter().filter(|c| c.paused).map(|c| c.name.clone()).collect::<Vec<_>>(),
            "controls": s.controls.iter().map(super::pause::control_json).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    let mut states = Table::new(["STATE", "COUNT"]);
    for state in State::ALL {
        states.row(vec![
            state.as_str().into(),
            s.by_state.get(state).to_string(),
        ]);
    }
    states.row(vec!["total".into(), s.by_state.total().to_string()]);
    println!("{}\n", states.render());
    println!(
        "oldest pending: {}",
        s.oldest_pending_age.map_or_else(
            || "none".to_owned(),
            |a| format!("due {} ago", output::duration(a))
        )
    );
    for (title, groups) in [("NAME", &s.by_name), ("TARGET", &s.by_target)] {
        if groups.is_empty() {
            continue;
        }
        // One column per state, from the same list as the cells, so a new state cannot leave a
        // row longer than its header.
        let mut table = Table::with_headers(
            std::iter::once(title.to_owned())
                .chain(State::ALL.iter().map(|st| st.as_str().to_uppercase())),
        );
        for (key, c) in groups {
            let mut row = vec![key.clone()];
            row.extend(State::ALL.iter().map(|&st| c.get(st).to_string()));
            table.row(row);
        }
        println!("\n{}", table.render());
    }
    let paused: Vec<_> = s.controls.iter().filter(|c| c.paused).collect();
    if paused.is_empty() {
        println!("\npaused: none");
    } else {
        println!("\npaused: no worker claims these names until `orchestratum resume NAME`");
    }
    let shown: Vec<_> = s
        .controls
        .iter()
        .filter(|c| c.paused || c.fleet_limit.is_some())
        .collect();
    if !shown.is_empty() {
        let mut table = Table::new(["NAME", "PAUSED", "PAUSED_AT", "FLEET_LIMIT"]);
        for c in shown {
            table.row(vec![
                c.name.clone(),
                if c.paused { "yes" } else { "no" }.into(),
                output::opt_time(c.paused_at),
                c.fleet_limit.map_or_else(|| "-".into(), |l| l.to_string()),
            ]);
        }
        println!("{}", table.render());
    }
    println!(
        "\nexpired leases: {} (marked running, but their worker stopped renewing; the next claim takes them back)",
        s.expired_leases
    );
    if !s.expired.is_empty() {
        let mut table = Table::new([
            "ID",
            "NAME",
            "TARGET",
            "ATTEMPT",
            "RETRIES_LEFT",
            "LEASE_EXPIRED_AT",
        ]);
        for r in &s.expired {
            table.row(vec![
                r.id.to_string(),
                r.name.clone(),
                r.target.clone(),
                r.attempt.to_string(),
                r.retries_left.to_string(),
                output::opt_time(r.run_expires_at),
            ]);
        }
        println!("{}", table.render());
    }
    if unhandled.is_empty() {
        println!(
            "\nunhandled: none (every command due for {} has a live worker that handles it)",
            output::duration(args.unhandled_after)
        );
    } else {
        println!(
            "\nunhandled: commands due for over {} that no live worker of their target handles",
            output::duration(args.unhandled_after)
        );
        let mut table = Table::new(["TARGET", "NAME", "WAITING", "OLDEST_DUE"]);
        for u in &unhandled {
            table.row(vec![
                u.target.clone(),
                u.name.clone(),
                u.waiting.to_string(),
                output::time(u.oldest_due),
            ]);
        }
        println!("{}", table.render());
    }
    Ok(())
}

fn counts_json(c: &StateCounts) -> Value {
    let mut m: serde_json::Map<String, Value> = State::ALL
        .iter()
        .map(|&s| (s.as_str().to_owned(), json!(c.get(s))))
        .collect();
    m.insert("total".into(), json!(c.total()));
    Value::Object(m)
}
