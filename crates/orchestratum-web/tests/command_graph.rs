//! The Command page's graphs over HTTP, on every backend: the chain (ancestors, the command,
//! its follow-ups) and the workflow (layers, edges, a batch's summary node), every node a link,
//! every text escaped; and the retries a failed-for-good command has left.

mod support;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

use orchestratum::workflow::{Batch, Step, Workflow};
use orchestratum::{Command, Context, Handler, HandlerError, HandlerResult, Next, Orchestratum};
use orchestratum_web::{Options, router};
use serde::{Deserialize, Serialize};
use support::{Backend, TestDb, eventually, get};

support::on_every_backend!(
    chain_graph_links_ancestors_and_follow_ups,
    diamond_workflow_in_three_layers,
    markup_in_names_and_keys_is_text,
    batch_of_300_is_one_summary_node,
);

const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";
const DEADLINE: Duration = Duration::from_secs(20);

/// Succeeds; with `left > 0` its success enqueues the next link, at 0 it enqueues two mails.
#[derive(Serialize, Deserialize)]
struct LinkCommand {
    left: u32,
}
impl Command for LinkCommand {
    type Output = ();
    fn on_success(&self, _: &()) -> Vec<Next> {
        if self.left > 0 {
            vec![Next::new(LinkCommand {
                left: self.left - 1,
            })]
        } else {
            vec![
                Next::new(MailCommand { to: "a".into() }),
                Next::new(MailCommand { to: "b".into() }),
            ]
        }
    }
}

#[derive(Serialize, Deserialize)]
struct MailCommand {
    to: String,
}
impl Command for MailCommand {
    type Output = ();
}

/// A name with markup in it.
#[derive(Serialize, Deserialize)]
struct OddCommand;
impl Command for OddCommand {
    type Output = ();
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(SCRIPT)
    }
}

struct LinkHandler;
impl Handler for LinkHandler {
    type Command = LinkCommand;
    async fn execute(&self, _: LinkCommand, _: Context) -> HandlerResult<()> {
        Ok(())
    }
}

struct MailHandler;
impl Handler for MailHandler {
    type Command = MailCommand;
    async fn execute(&self, c: MailCommand, _: Context) -> HandlerResult<()> {
        if c.to == "b" {
            Err(HandlerError::discard("mailbox full"))
        } else {
            Ok(())
        }
    }
}

/// The SVG with this element id, from its tag to its end.
fn svg<'a>(body: &'a str, id: &str) -> &'a str {
    let marker = format!(r#"<svg class="graph" id="{id}""#);
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id}: {body}"));
    let len = body[start..].find("</svg>").expect("the SVG ends") + "</svg>".len();
    &body[start..start + len]
}

/// Each node's link (if any) and the top-left corner of its box, in document order.
fn nodes(svg: &str) -> Vec<(Option<String>, f64, f64)> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(r#"<g class="node "#) {
        let before = &rest[..at];
        // The node's link is the `<a` right before its group, if nothing else is between.
        let link = before.rfind("<a ").and_then(|a| {
            let tag = &before[a..];
            (!tag.contains("</a>")).then(|| {
                tag.split(r#"href=""#)
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(str::to_owned)
            })?
        });
        let node = &rest[at..];
        let attr = |name: &str| -> f64 {
            let rect = node.split("<rect x=").nth(1).expect("a box");
            let value = if name == "x" {
                rect
            } else {
                rect.split(&format!(" {name}="))
                    .nth(1)
                    .expect("the attribute")
            };
            value.split('"').nth(1).unwrap().parse().expect("a number")
        };
        out.push((link, attr("x"), attr("y")));
        rest = &rest[at + 1..];
    }
    out
}

/// A chain of three links whose last enqueues two mails (one fails for good): the last link's
/// page draws its parent and grandparent above it and both mails below, each a link; a mail's
/// page shows the whole line; the failed mail has "0 (no retries left)", not -1.
async fn chain_graph_links_ancestors_and_follow_ups(db: TestDb) {
    let instance: Orchestratum = db
        .builder()
        .handler(LinkHandler)
        .handler(MailHandler)
        .start()
        .await
        .expect("start");
    let client = instance.client();
    let top = client.push(LinkCommand { left: 2 }).await.unwrap();
    let (middle, last, mails) = eventually("the chain to finish", DEADLINE, || async {
        let middle = client.follow_ups(top).await.ok()?.first()?.id;
        let last = client.follow_ups(middle).await.ok()?.first()?.id;
        let mails = client.follow_ups(last).await.ok()?;
        (mails.len() == 2 && mails.iter().all(|m| m.state().is_terminal()))
            .then_some((middle, last, mails))
    })
    .await;
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
    let app = router(client.clone(), Options::new());

    let page = get(&app, &format!("/commands/{last}")).await;
    let graph = svg(page.page(), "chain-graph");
    for (class, id) in [
        ("ancestor", top),
        ("parent", middle),
        ("current", last),
        ("follow-up", mails[0].id),
        ("follow-up", mails[1].id),
    ] {
        assert!(
            graph.contains(&format!(r#"<a class="{class}" href="/commands/{id}""#)),
            "{class} {id}: {graph}"
        );
    }
    assert!(graph.contains(r#"aria-current="page""#), "{graph}");
    assert!(graph.contains("completed · this command"), "{graph}");
    assert!(
        graph.contains(">failed</text>"),
        "the state in words: {graph}"
    );
    let drawn = nodes(graph);
    assert_eq!(drawn.len(), 5, "{graph}");
    let rows: BTreeSet<String> = drawn.iter().map(|(_, _, y)| y.to_string()).collect();
    assert_eq!(
        rows.len(),
        4,
        "top, middle, last, the mails side by side: {graph}"
    );
    assert_eq!(graph.matches(r#"<path class="edge""#).count(), 4, "{graph}");

    let failed = mails
        .iter()
        .find(|m| m.state() == orchestratum::State::Failed)
        .unwrap();
    let page = get(&app, &format!("/commands/{}", failed.id)).await;
    let body = page.page();
    assert!(
        body.contains("<th>Retries left</th><td>0 (no retries left)</td>"),
        "{body}"
    );
    let graph = svg(body, "chain-graph");
    assert_eq!(nodes(graph).len(), 4, "three links and the mail: {graph}");
    assert!(
        graph.contains(&format!(r#"<a class="ancestor" href="/commands/{top}""#)),
        "{graph}"
    );

    let alone = get(
        &app,
        &format!("/commands/{}", client.push(OddCommand).await.unwrap()),
    )
    .await;
    assert!(
        alone
            .page()
            .contains(r#"<span class="muted">none (pushed directly)</span> · follow-ups: 0"#),
        "{}",
        alone.body
    );
    assert!(!alone.body.contains("chain-graph"), "{}", alone.body);
}

/// a → b, a → c, b and c → d: the page of b draws four linked nodes in three rows (b and c
/// side by side), four edges, b ringed as the current step and a and d marked as its parent
/// and child.
async fn diamond_workflow_in_three_layers(db: TestDb) {
    let client = db.client().await;
    let wf = client
        .push_workflow(
            Workflow::new("diamond")
                .step(Step::new("a", MailCommand { to: "a".into() }))
                .step(Step::new("c", MailCommand { to: "c".into() }).after("a"))
                .step(Step::new("b", MailCommand { to: "b".into() }).after("a"))
                .step(
                    Step::new("d", MailCommand { to: "d".into() })
                        .after("b")
                        .after("c"),
                ),
        )
        .await
        .unwrap();
    let info = client.workflow(wf.id).await.unwrap();
    let id = |k: &str| info.step(k).unwrap().command.id;
    let app = router(client.clone(), Options::new());
    let page = get(&app, &format!("/commands/{}", id("b"))).await;
    let body = page.page();
    assert!(
        body.contains(&format!(
            r#"class="workflow" href="/workflows/{}">diamond<"#,
            wf.id
        )),
        "{body}"
    );
    let graph = svg(body, "workflow-graph");
    let mut drawn = nodes(graph);
    drawn.sort_by(|a, b| (a.2, a.1).partial_cmp(&(b.2, b.1)).unwrap());
    let links: Vec<String> = drawn.iter().filter_map(|(l, _, _)| l.clone()).collect();
    let expected: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .map(|k| format!("/commands/{}", id(k)))
        .collect();
    assert_eq!(links, expected, "top to bottom, then by key: {graph}");
    let ys: Vec<f64> = drawn.iter().map(|(_, _, y)| *y).collect();
    assert!(ys[0] < ys[1] && ys[1] == ys[2] && ys[2] < ys[3], "{ys:?}");
    assert_eq!(graph.matches(r#"<path class="edge""#).count(), 4, "{graph}");
    for (class, k) in [
        ("step-parent", "a"),
        ("current", "b"),
        ("step", "c"),
        ("step-child", "d"),
    ] {
        assert!(
            graph.contains(&format!(r#"<a class="{class}" href="/commands/{}""#, id(k))),
            "{class} {k}: {graph}"
        );
    }
    assert!(graph.contains(r#"class="halo""#), "{graph}");
    assert!(graph.contains("waiting · this command"), "{graph}");
}

/// A name and a step key of `<script>` are drawn as text, in the graph and everywhere else.
async fn markup_in_names_and_keys_is_text(db: TestDb) {
    let client = db
        .builder()
        .command::<OddCommand>()
        .connect()
        .await
        .unwrap();
    let wf = client
        .push_workflow(
            Workflow::new(SCRIPT)
                .step(Step::new(SCRIPT, OddCommand))
                .step(Step::new("next", OddCommand).after(SCRIPT)),
        )
        .await
        .unwrap();
    let info = client.workflow(wf.id).await.unwrap();
    let next = info.step("next").unwrap().command.id;
    let app = router(client.clone(), Options::new());
    let page = get(&app, &format!("/commands/{next}")).await;
    let body = page.page();
    assert!(!body.contains(SCRIPT), "{body}");
    let graph = svg(body, "workflow-graph");
    assert!(
        graph.contains(&format!("<title>{SCRIPT_ESCAPED} — ")),
        "the key as text: {graph}"
    );
    assert!(
        graph.contains("&lt;script&gt;"),
        "the name as text: {graph}"
    );
    assert_eq!(nodes(graph).len(), 2, "{graph}");
}

/// A batch of 300 members and a callback: the callback's page draws one summary node that
/// counts the members by state and links to the workflow's page, an edge to the callback, and
/// no node per member; a member's page rings the summary node as holding it.
async fn batch_of_300_is_one_summary_node(db: TestDb) {
    let client = db.client().await;
    let wf = client
        .push_workflow(
            Batch::new("big")
                .commands((0..300).map(|i| MailCommand {
                    to: format!("m{i}"),
                }))
                .callback(LinkCommand { left: 0 }),
        )
        .await
        .unwrap();
    let info = client.workflow(wf.id).await.unwrap();
    assert_eq!(info.steps.len(), 301);
    let callback = info.step("callback").unwrap().command.id;
    let app = router(client.clone(), Options::new());
    let page = get(&app, &format!("/commands/{callback}")).await;
    let graph = svg(page.page(), "workflow-graph");
    let drawn = nodes(graph);
    assert_eq!(drawn.len(), 2, "the summary and the callback: {graph}");
    assert_eq!(
        drawn[0].0.as_deref(),
        Some(format!("/workflows/{}", wf.id).as_str()),
        "{graph}"
    );
    assert!(graph.contains(">300 members</text>"), "{graph}");
    assert!(graph.contains(">300 pending</text>"), "{graph}");
    assert_eq!(graph.matches(r#"<path class="edge""#).count(), 1, "{graph}");

    let member = info.steps[17].command.id;
    let page = get(&app, &format!("/commands/{member}")).await;
    let graph = svg(page.page(), "workflow-graph");
    assert!(
        graph.contains(">this command is one of them</text>"),
        "{graph}"
    );
    assert!(graph.contains(r#"class="halo""#), "{graph}");
}
