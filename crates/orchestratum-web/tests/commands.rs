//! The Commands list and the Command page against real databases, request by request as a
//! browser sends them: each filter, keyset pages, bulk actions with their confirmation, each
//! single action's effect, CSRF and read-only refusals on every new POST, escaping, and 400s
//! and 404s. Each test runs on PostgreSQL, SQLite and (with the `mysql` feature) MySQL/MariaDB.

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use orchestratum::workflow::{Step, Workflow};
use orchestratum::{
    Client, Command, Context, Handler, HandlerError, HandlerResult, Next, Orchestratum, Push, State,
};
use orchestratum_web::{Options, router};
use serde::{Deserialize, Serialize};
use support::{Answer, Backend, Session, TestDb, get, post_raw};
use uuid::Uuid;

support::on_every_backend!(
    list_filters_and_pages,
    bulk_on_a_selection,
    bulk_on_a_filter,
    command_page_and_single_actions,
    command_live_fragment,
    refusals_and_bad_input,
    text_search_stops_at_its_scan_budget,
);

const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

#[derive(Serialize, Deserialize)]
struct MailCommand {
    to: String,
}
impl Command for MailCommand {
    type Output = ();
}

#[derive(Serialize, Deserialize)]
struct ReportCommand {
    n: u32,
}
impl Command for ReportCommand {
    type Output = Vec<u32>;
}

/// Fails for good with markup in its error, and enqueues an alert when it does.
#[derive(Serialize, Deserialize)]
struct DoomedCommand;
impl Command for DoomedCommand {
    type Output = ();
    fn on_failure(&self, _: &orchestratum::Failure) -> Vec<Next> {
        vec![Next::new(MailCommand {
            to: "oncall".into(),
        })]
    }
}

struct MailHandler;
impl Handler for MailHandler {
    type Command = MailCommand;
    async fn execute(&self, _: MailCommand, _: Context) -> HandlerResult<()> {
        Ok(())
    }
}

struct ReportHandler;
impl Handler for ReportHandler {
    type Command = ReportCommand;
    async fn execute(&self, c: ReportCommand, _: Context) -> HandlerResult<Vec<u32>> {
        Ok(vec![c.n, c.n + 1])
    }
}

struct DoomedHandler;
impl Handler for DoomedHandler {
    type Command = DoomedCommand;
    async fn execute(&self, _: DoomedCommand, _: Context) -> HandlerResult<()> {
        Err(HandlerError::discard(format!("broken {SCRIPT}")))
    }
}

/// A client without a worker that knows the mail and report types (so it cancels them at
/// once rather than by request).
async fn client(db: &TestDb) -> Client {
    db.builder()
        .handler(MailHandler)
        .handler(ReportHandler)
        .connect()
        .await
        .expect("connect")
}

/// Later than any test runs, so pushed commands stay scheduled (no worker claims them).
fn later() -> Push {
    Push::new().delay(Duration::from_secs(3600))
}

/// The command ids a list page shows, in order.
fn ids(body: &str) -> Vec<Uuid> {
    body.split(r#"<td><a href="/commands/"#)
        .skip(1)
        .map(|s| s[..36].parse().expect("an id"))
        .collect()
}

/// The link of `rel="next"`, unescaped.
fn next_link(body: &str) -> Option<String> {
    let (_, rest) = body.split_once(r#"rel="next" href=""#)?;
    Some(rest.split('"').next()?.replace("&amp;", "&"))
}

/// The text of the element with this id.
fn text_of<'a>(body: &'a str, id: &str) -> &'a str {
    let marker = format!(r#"id="{id}">"#);
    let (_, rest) = body
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no #{id}: {body}"));
    rest.split('<').next().unwrap()
}

async fn state(client: &Client, id: Uuid) -> State {
    client.get(id).await.unwrap().state()
}

/// Each filter narrows the list to what it names; pages of `limit` rows follow each other
/// newest first, every row once, the filters kept in the next link; the overview's counts
/// and the nav link here.
async fn list_filters_and_pages(db: TestDb) {
    let client = client(&db).await;
    let mut mails = Vec::new();
    for i in 0..5 {
        let cmd = MailCommand {
            to: format!("user{i}@example.test"),
        };
        mails.push(client.push_with(cmd, later()).await.unwrap());
    }
    let east = client
        .push_with(ReportCommand { n: 7 }, later().target("east"))
        .await
        .unwrap();
    client.cancel(mails[0]).await.unwrap();
    let app = router(client.clone(), Options::new());

    let all = get(&app, "/commands").await;
    let body = all.page();
    let mut newest_first = mails.clone();
    newest_first.push(east);
    newest_first.reverse();
    assert_eq!(ids(body), newest_first, "newest first: {body}");
    assert!(body.contains(r#"aria-current="page">Commands<"#), "{body}");

    let cases: Vec<(String, Vec<Uuid>)> = vec![
        ("state=canceled".into(), vec![mails[0]]),
        ("state=scheduled&name=report".into(), vec![east]),
        (
            "name=mail&state=scheduled".into(),
            newest_first[1..5].to_vec(),
        ),
        ("target=east".into(), vec![east]),
        ("text=USER3%40example".into(), vec![mails[3]]),
        (format!("id={}", mails[2]), vec![mails[2]]),
        ("since=2000-01-01T00:00".into(), newest_first.clone()),
        ("since=2999-01-01".into(), vec![]),
        ("until=2000-01-01T00:00:00Z".into(), vec![]),
        ("until=2999-01-01T00:00&name=report".into(), vec![east]),
        ("name=&target=&state=".into(), newest_first.clone()),
    ];
    for (q, expected) in cases {
        let answer = get(&app, &format!("/commands?{q}")).await;
        let body = answer.page();
        assert_eq!(ids(body), expected, "{q}: {body}");
        if expected.is_empty() {
            assert!(body.contains("No command matches."), "{q}: {body}");
        }
    }
    // The form shows the filter it applied.
    let filtered = get(&app, "/commands?state=canceled&name=mail").await;
    assert!(
        filtered
            .page()
            .contains(r#"<option value="canceled" selected>"#),
        "{}",
        filtered.body
    );
    assert!(filtered.body.contains(r#"name="name" value="mail""#));

    // Pages of two: every mail once, in order, the filter kept.
    let mut seen = Vec::new();
    let mut path = "/commands?name=mail&limit=2".to_owned();
    let mut pages = 0;
    loop {
        let answer = get(&app, &path).await;
        let body = answer.page();
        let page = ids(body);
        assert!(page.len() <= 2, "{body}");
        seen.extend(page);
        pages += 1;
        match next_link(body) {
            Some(next) => {
                assert!(
                    next.contains("name=mail") && next.contains("limit=2"),
                    "{next}"
                );
                path = next;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut expected = mails.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every row once, newest first");

    // The overview links its counts to the filtered list, and the nav links here.
    let overview = get(&app, "/").await;
    let body = overview.page();
    for link in [
        r#"href="/commands""#,
        r#"href="/commands?state=canceled""#,
        r#"href="/commands?name=mail""#,
        r#"href="/commands?target=east""#,
        r#"href="/commands?name=mail&amp;state=scheduled">4<"#,
    ] {
        assert!(body.contains(link), "{link}: {body}");
    }
}

/// Bulk actions on checked rows: the first POST only shows how many commands it concerns and
/// changes nothing; the confirmation's POST acts and reports changed and skipped counts.
async fn bulk_on_a_selection(db: TestDb) {
    let client = client(&db).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let cmd = MailCommand {
            to: format!("u{i}"),
        };
        ids.push(client.push_with(cmd, later()).await.unwrap());
    }
    let app = router(client.clone(), Options::new());
    let s = Session::open(&app, "/commands").await;
    let list = s.get(&app, "/commands").await;
    assert!(
        list.page()
            .contains(&format!(r#"name="sel" value="{}""#, ids[0])),
        "{}",
        list.body
    );
    let a = ids[0].to_string();
    let b = ids[1].to_string();

    let ask = s
        .post(
            &app,
            "/commands/bulk",
            &[("bulk", "cancel:selected"), ("sel", &a), ("sel", &b)],
        )
        .await;
    let body = ask.page();
    assert_eq!(text_of(body, "concerns"), "2 commands", "{body}");
    assert!(
        body.contains(r#"name="confirm" value="yes""#) && body.contains(&a) && body.contains(&b),
        "{body}"
    );
    for id in &ids {
        assert_eq!(state(&client, *id).await, State::Scheduled, "nothing yet");
    }

    let done = s
        .post(
            &app,
            "/commands/bulk",
            &[
                ("bulk", "cancel:selected"),
                ("confirm", "yes"),
                ("sel", &a),
                ("sel", &b),
            ],
        )
        .await;
    let body = done.page();
    assert_eq!(text_of(body, "changed"), "2", "{body}");
    assert_eq!(text_of(body, "skipped"), "0", "{body}");
    assert_eq!(state(&client, ids[0]).await, State::Canceled);
    assert_eq!(state(&client, ids[1]).await, State::Canceled);
    assert_eq!(state(&client, ids[2]).await, State::Scheduled);

    // Retry the canceled one and the scheduled one: one changes, one is skipped.
    let c = ids[2].to_string();
    let retried = s
        .post(
            &app,
            "/commands/bulk",
            &[
                ("bulk", "retry:selected"),
                ("confirm", "yes"),
                ("sel", &a),
                ("sel", &c),
            ],
        )
        .await;
    let body = retried.page();
    assert_eq!(
        (text_of(body, "changed"), text_of(body, "skipped")),
        ("1", "1"),
        "{body}"
    );
    assert_eq!(state(&client, ids[0]).await, State::Pending);

    let deleted = s
        .post(
            &app,
            "/commands/bulk",
            &[("bulk", "delete:selected"), ("confirm", "yes"), ("sel", &b)],
        )
        .await;
    assert_eq!(text_of(deleted.page(), "changed"), "1", "{}", deleted.body);
    assert!(client.get(ids[1]).await.is_err(), "deleted");
    assert_eq!(state(&client, ids[0]).await, State::Pending);
}

/// Bulk actions on everything matching the filter: the confirmation counts the matches and
/// changes nothing; confirmed, only the matches change.
async fn bulk_on_a_filter(db: TestDb) {
    let client = client(&db).await;
    let mut mails = Vec::new();
    for i in 0..3 {
        let cmd = MailCommand {
            to: format!("u{i}"),
        };
        mails.push(client.push_with(cmd, later()).await.unwrap());
    }
    let report = client
        .push_with(ReportCommand { n: 1 }, later())
        .await
        .unwrap();
    let app = router(client.clone(), Options::new());
    let s = Session::open(&app, "/commands").await;
    let list = s.get(&app, "/commands?name=mail").await;
    assert!(
        list.page()
            .contains(r#"<input type="hidden" name="name" value="mail">"#),
        "the bulk form carries the filter: {}",
        list.body
    );

    let ask = s
        .post(
            &app,
            "/commands/bulk",
            &[("bulk", "cancel:matching"), ("name", "mail")],
        )
        .await;
    let body = ask.page();
    assert_eq!(text_of(body, "concerns"), "3 commands", "{body}");
    assert!(
        body.contains("every command matching name = mail"),
        "{body}"
    );
    for id in &mails {
        assert_eq!(state(&client, *id).await, State::Scheduled, "nothing yet");
    }
    let done = s
        .post(
            &app,
            "/commands/bulk",
            &[
                ("bulk", "cancel:matching"),
                ("name", "mail"),
                ("confirm", "yes"),
            ],
        )
        .await;
    let body = done.page();
    assert_eq!(
        (text_of(body, "changed"), text_of(body, "skipped")),
        ("3", "0"),
        "{body}"
    );
    for id in &mails {
        assert_eq!(state(&client, *id).await, State::Canceled);
    }
    assert_eq!(state(&client, report).await, State::Scheduled);

    // With no filter, the confirmation says it is everything.
    let everything = s
        .post(&app, "/commands/bulk", &[("bulk", "delete:matching")])
        .await;
    let body = everything.page();
    assert_eq!(text_of(body, "concerns"), "4 commands", "{body}");
    assert!(body.contains("no filter is set"), "{body}");
    assert_eq!(
        client
            .admin()
            .search(&Default::default(), None, 10)
            .await
            .unwrap()
            .rows
            .len(),
        4
    );

    let deleted = s
        .post(
            &app,
            "/commands/bulk",
            &[
                ("bulk", "delete:matching"),
                ("state", "canceled"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(text_of(deleted.page(), "changed"), "3", "{}", deleted.body);
    for id in &mails {
        assert!(client.get(*id).await.is_err(), "deleted");
    }
    assert_eq!(state(&client, report).await, State::Scheduled);
}

/// Runs a report (completed, with output) and a doomed command (failed with markup in its
/// error, and a follow-up) on a worker; returns their ids and the follow-up's.
async fn ran(db: &TestDb) -> (Uuid, Uuid, Uuid) {
    let instance: Orchestratum = db
        .builder()
        .handler(ReportHandler)
        .handler(DoomedHandler)
        .start()
        .await
        .expect("start");
    let worker = instance.client();
    let report = worker.push(ReportCommand { n: 41 }).await.unwrap();
    let doomed = worker.push(DoomedCommand).await.unwrap();
    let wait = Duration::from_secs(20);
    tokio::time::timeout(wait, worker.wait::<ReportCommand>(report))
        .await
        .expect("the report completes")
        .unwrap();
    tokio::time::timeout(wait, worker.wait::<DoomedCommand>(doomed))
        .await
        .expect("the doomed command fails")
        .unwrap();
    let alert = worker.follow_ups(doomed).await.unwrap()[0].id;
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
    (report, doomed, alert)
}

fn flash_of(answer: &Answer) -> &str {
    text_of(answer.page(), "flash")
}

/// The command page's live part: the page names its fragment's URL, the fragment is the page's
/// content without the layout, and it follows the store (a retried command's fragment shows
/// it pending, without the Retry button); bad and unknown ids answer 400 and 404.
async fn command_live_fragment(db: TestDb) {
    let (_, doomed, _) = ran(&db).await;
    let client = client(&db).await;
    let app = router(
        client.clone(),
        Options::new().refresh_interval(Duration::from_millis(750)),
    );
    let page = get(&app, &format!("/commands/{doomed}")).await;
    assert!(
        page.page().contains(&format!(
            r#"<section id="live" data-live="/live/commands/{doomed}" data-interval="750">"#
        )),
        "{}",
        page.body
    );

    let s = Session::open(&app, &format!("/commands/{doomed}")).await;
    let live = s.get(&app, &format!("/live/commands/{doomed}")).await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.body);
    let body = &live.body;
    assert!(
        !body.contains("<nav") && !body.contains("<h1"),
        "a fragment: {body}"
    );
    assert!(body.contains(r#"class="state-failed">failed<"#), "{body}");
    assert!(body.contains("<td>discarded</td>"), "attempts: {body}");
    assert!(body.contains("— failed for good</li>"), "timeline: {body}");
    assert!(
        body.contains(&format!(r#"action="/commands/{doomed}/retry""#)) && body.contains(&s.token),
        "the retry form with its token: {body}"
    );
    assert!(
        body.contains(&format!("broken {SCRIPT_ESCAPED}")) && !body.contains(SCRIPT),
        "escaped: {body}"
    );

    client
        .admin()
        .retry(doomed, None)
        .await
        .unwrap()
        .expect("retried");
    let live = s.get(&app, &format!("/live/commands/{doomed}")).await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.body);
    assert!(
        live.body.contains(r#"class="state-pending">pending<"#),
        "{}",
        live.body
    );
    assert!(
        !live.body.contains("/retry\""),
        "no retry now: {}",
        live.body
    );

    let bad = get(&app, "/live/commands/not-an-id").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let missing = get(&app, &format!("/live/commands/{}", Uuid::now_v7())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

/// The page shows every column, pretty JSON, attempts, timeline, parent, follow-ups and
/// workflow, escaped; each single action's effect is read back from the store.
async fn command_page_and_single_actions(db: TestDb) {
    let (report, doomed, alert) = ran(&db).await;
    let client = client(&db).await;
    let app = router(client.clone(), Options::new());

    let page = get(&app, &format!("/commands/{report}")).await;
    let body = page.page();
    assert!(body.contains("<h1>Command report</h1>"), "{body}");
    assert!(
        body.contains("completed") && body.contains("success"),
        "{body}"
    );
    assert!(
        body.contains("<pre id=\"input\">{\n  &quot;n&quot;: 41\n}</pre>"),
        "pretty input: {body}"
    );
    assert!(
        body.contains("<pre id=\"output\">[\n  41,\n  42\n]</pre>"),
        "pretty output: {body}"
    );
    for part in [
        "Retries left",
        "Priority",
        "Target",
        "Unique key",
        "Worker",
        "Timeout",
    ] {
        assert!(body.contains(&format!("<th>{part}</th>")), "{part}: {body}");
    }
    assert!(body.contains("— pushed</li>"), "{body}");
    assert!(body.contains("attempt 1 started on worker"), "{body}");
    assert!(body.contains("attempt 1 ended: completed"), "{body}");
    assert!(body.contains("— completed</li>"), "{body}");
    assert!(
        !body.contains("/retry\""),
        "no retry of a completed command: {body}"
    );

    let page = get(&app, &format!("/commands/{doomed}")).await;
    let body = page.page();
    assert!(
        body.contains(&format!("broken {SCRIPT_ESCAPED}")) && !body.contains(SCRIPT),
        "error escaped: {body}"
    );
    assert!(
        body.contains("<td>discarded</td>"),
        "attempt outcome: {body}"
    );
    assert!(
        body.contains(&format!(
            r#"<a class="follow-up" href="/commands/{alert}">"#
        )),
        "follow-up: {body}"
    );
    assert!(body.contains("— failed for good</li>"), "{body}");
    let page = get(&app, &format!("/commands/{alert}")).await;
    assert!(
        page.page()
            .contains(&format!(r#"class="parent" href="/commands/{doomed}""#)),
        "parent: {}",
        page.body
    );
    // The list escapes the error too, and finds it by its text.
    let list = get(&app, "/commands?text=%3Cscript%3E").await;
    assert_eq!(ids(list.page()), vec![doomed], "{}", list.body);
    assert!(!list.body.contains(SCRIPT), "{}", list.body);

    let s = Session::open(&app, &format!("/commands/{doomed}")).await;
    let retried = s
        .post(&app, &format!("/commands/{doomed}/retry"), &[])
        .await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER, "{}", retried.body);
    assert_eq!(
        retried.location(),
        format!("/commands/{doomed}?done=retried")
    );
    assert_eq!(state(&client, doomed).await, State::Pending);
    let shown = s.get(&app, retried.location()).await;
    assert!(flash_of(&shown).starts_with("Retried"), "{}", shown.body);
    let again = s
        .post(&app, &format!("/commands/{report}/retry"), &[])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // Mail is a type this client knows: canceled at once.
    let canceled = s
        .post(&app, &format!("/commands/{alert}/cancel"), &[])
        .await;
    assert_eq!(
        canceled.location(),
        format!("/commands/{alert}?done=canceled")
    );
    assert_eq!(state(&client, alert).await, State::Canceled);
    let twice = s
        .post(&app, &format!("/commands/{alert}/cancel"), &[])
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(twice.body.contains("canceled"), "{}", twice.body);
    // Doomed is not: the cancellation is a request a worker acts on.
    let requested = s
        .post(&app, &format!("/commands/{doomed}/cancel"), &[])
        .await;
    assert_eq!(
        requested.location(),
        format!("/commands/{doomed}?done=cancel-requested")
    );
    assert!(
        client
            .get(doomed)
            .await
            .unwrap()
            .cancel_requested_at
            .is_some()
    );

    let copied = s.post(&app, &format!("/commands/{report}/copy"), &[]).await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER, "{}", copied.body);
    let location = copied.location().to_owned();
    let copy: Uuid = location
        .strip_prefix("/commands/")
        .and_then(|l| l.strip_suffix("?done=copied"))
        .expect(&location)
        .parse()
        .unwrap();
    let (original, copied) = (
        client.get(report).await.unwrap(),
        client.get(copy).await.unwrap(),
    );
    assert_ne!(copy, report);
    assert_eq!(
        (
            copied.name.as_str(),
            copied.input.as_deref(),
            copied.target.as_str(),
            copied.priority
        ),
        (
            original.name.as_str(),
            original.input.as_deref(),
            original.target.as_str(),
            original.priority
        )
    );
    assert_eq!(copied.state(), State::Pending);
    assert!(flash_of(&s.get(&app, &location).await).starts_with("Pushed"));

    let deleted = s
        .post(&app, &format!("/commands/{report}/delete"), &[])
        .await;
    assert_eq!(deleted.location(), format!("/commands?deleted={report}"));
    assert!(matches!(
        client.get(report).await,
        Err(orchestratum::Error::NotFound(_))
    ));
    let list = s.get(&app, deleted.location()).await;
    assert!(
        list.page()
            .contains(&format!("Deleted command <code>{report}</code>")),
        "{}",
        list.body
    );
    let gone = s
        .post(&app, &format!("/commands/{report}/delete"), &[])
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);

    // A workflow step shows its workflow, key, parents and children; the workflow page links
    // its steps here; a step others wait for cannot be deleted (409, kept).
    let wf = client
        .push_workflow(
            Workflow::new("nightly")
                .step(Step::new("first", MailCommand { to: "a".into() }))
                .step(Step::new("second", MailCommand { to: "b".into() }).after("first")),
        )
        .await
        .unwrap();
    let info = client.workflow(wf.id).await.unwrap();
    let first = info.step("first").unwrap().command.id;
    let second = info.step("second").unwrap().command.id;
    let page = get(&app, &format!("/commands/{first}")).await;
    let body = page.page();
    assert!(
        body.contains(&format!(
            r#"class="workflow" href="/workflows/{}">nightly<"#,
            wf.id
        )),
        "{body}"
    );
    assert!(body.contains("<strong>first</strong>"), "{body}");
    assert!(
        body.contains(&format!(r#"class="step-child" href="/commands/{second}">"#)),
        "{body}"
    );
    let page = get(&app, &format!("/commands/{second}")).await;
    assert!(
        page.page()
            .contains(&format!(r#"class="step-parent" href="/commands/{first}">"#)),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("when its parents finish"),
        "{}",
        page.body
    );
    let graph = get(&app, &format!("/workflows/{}", wf.id)).await;
    assert!(
        graph
            .page()
            .contains(&format!(r#"href="/commands/{first}""#)),
        "{}",
        graph.body
    );
    let refused = s
        .post(&app, &format!("/commands/{first}/delete"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(client.get(first).await.is_ok(), "kept");
}

/// The link of the notice a stopped text search shows, unescaped.
fn scan_link(body: &str) -> Option<String> {
    let (_, rest) = body.split_once(r#"class="scan-next" href=""#)?;
    Some(rest.split('"').next()?.replace("&amp;", "&"))
}

/// A text search examines `scan` rows a page: a page that found no match in them says so and
/// links to the older rows, each continuation starts below the last row examined, and the
/// oldest match is found without any row shown twice; a bulk action on the text filter warns
/// that it reads the whole table and counts every match.
async fn text_search_stops_at_its_scan_budget(db: TestDb) {
    let client = client(&db).await;
    let mut mails = Vec::new();
    for i in 0..6 {
        let to = if i == 0 {
            "needle@example".to_owned()
        } else {
            format!("u{i}")
        };
        mails.push(client.push_with(MailCommand { to }, later()).await.unwrap());
    }
    let app = router(client.clone(), Options::new());

    let mut path = "/commands?text=needle&scan=2".to_owned();
    let mut notices = Vec::new();
    let mut seen = Vec::new();
    loop {
        let answer = get(&app, &path).await;
        let body = answer.page().to_owned();
        seen.extend(ids(&body));
        let Some(link) = scan_link(&body) else {
            break;
        };
        let notice = text_of(&body, "scan-stopped").to_owned();
        assert!(!body.contains("No command matches."), "{body}");
        assert!(
            link.contains("text=needle") && link.contains("scan=2") && link.contains("after="),
            "{link}"
        );
        assert_eq!(next_link(&body).as_deref(), Some(link.as_str()), "{body}");
        notices.push(notice);
        path = link;
    }
    assert_eq!(seen, vec![mails[0]], "found once, on the last page");
    assert_eq!(
        notices,
        vec![
            "No more matches in the newest 2 rows (down to command ",
            "No more matches in the next 2 rows (down to command "
        ]
    );
    // The first notice names the last row examined: the second newest.
    let first = get(&app, "/commands?text=needle&scan=2").await;
    assert!(
        first.page().contains(&format!("<code>{}</code>", mails[4])),
        "{}",
        first.body
    );
    // With the default budget all six rows are examined at once: no notice.
    let whole = get(&app, "/commands?text=needle").await;
    assert_eq!(ids(whole.page()), vec![mails[0]]);
    assert!(!whole.body.contains("scan-stopped"), "{}", whole.body);
    for bad in ["scan=0", "scan=lots", "scan=10000001"] {
        let answer = get(&app, &format!("/commands?text=needle&{bad}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            answer.body
        );
    }

    // Everything matching the text: the confirmation says it reads the whole table.
    let s = Session::open(&app, "/commands").await;
    let ask = s
        .post(
            &app,
            "/commands/bulk",
            &[("bulk", "cancel:matching"), ("text", "needle")],
        )
        .await;
    let body = ask.page();
    assert_eq!(text_of(body, "concerns"), "1 command", "{body}");
    assert!(text_of(body, "whole-table").contains("every row"), "{body}");
}

/// Every new POST refuses a missing or wrong CSRF token and a read-only dashboard (no
/// checkboxes nor action forms there); bad filters, cursors and ids answer 400, unknown ids 404.
async fn refusals_and_bad_input(db: TestDb) {
    let client = client(&db).await;
    let id = client
        .push_with(MailCommand { to: SCRIPT.into() }, later())
        .await
        .unwrap();
    let app = router(client.clone(), Options::new());
    let s = Session::open(&app, "/commands").await;
    let sid = id.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/commands/bulk".into(),
            vec![
                ("bulk", "cancel:selected"),
                ("confirm", "yes"),
                ("sel", sid.as_str()),
            ],
        ),
        (
            "/commands/bulk".into(),
            vec![("bulk", "delete:matching"), ("confirm", "yes")],
        ),
        (format!("/commands/{id}/cancel"), vec![]),
        (format!("/commands/{id}/delete"), vec![]),
        (format!("/commands/{id}/retry"), vec![]),
        (format!("/commands/{id}/copy"), vec![]),
    ];
    for (path, fields) in &posts {
        let mut wrong = vec![("orch_csrf", "0123")];
        wrong.extend_from_slice(fields);
        let answer = post_raw(&app, path, &s.cookie, &wrong, None).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
        let answer = post_raw(&app, path, "", fields, None).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    let read_only = router(client.clone(), Options::new().read_only(true));
    let list = get(&read_only, "/commands").await;
    let body = list.page();
    assert_eq!(ids(body), vec![id]);
    assert!(
        !body.contains(r#"name="sel""#) && !body.contains("method=\"post\""),
        "{body}"
    );
    let one = get(&read_only, &format!("/commands/{id}")).await;
    assert!(!one.page().contains("method=\"post\""), "{}", one.body);
    let ro = Session::open(&read_only, "/commands").await;
    for (path, fields) in &posts {
        let answer = ro.post(&read_only, path, fields).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    let record = client.get(id).await.expect("nothing was deleted");
    assert_eq!(record.state(), State::Scheduled, "nothing changed");
    assert_eq!(
        client
            .admin()
            .search(&Default::default(), None, 10)
            .await
            .unwrap()
            .rows
            .len(),
        1,
        "no copy"
    );

    // Markup in the input renders as text in the list and on the page.
    for path in ["/commands".to_owned(), format!("/commands/{id}")] {
        let answer = get(&app, &path).await;
        let body = answer.page();
        assert!(!body.contains(SCRIPT), "{path}: {body}");
        if path != "/commands" {
            assert!(body.contains(SCRIPT_ESCAPED), "{path}: {body}");
        }
    }

    for path in [
        "/commands?state=lost",
        "/commands?id=12",
        "/commands?since=yesterday",
        "/commands?until=2026-13-01",
        "/commands?after=nope",
        "/commands?after=k1zz",
        "/commands?limit=0",
        "/commands?limit=501",
        "/commands?limit=x",
        "/commands?deleted=x",
        "/commands?name=a&name=b",
        "/commands?sort=name",
        "/commands/not-a-uuid",
        "/commands/%FF%FE",
        &format!("/commands/{id}?done=hacked"),
        &format!("/commands/{id}?x=1"),
    ] {
        let answer = get(&app, path).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            answer.body
        );
        assert!(
            answer.body.contains("<h1>400 Bad request</h1>"),
            "{path}: {}",
            answer.body
        );
    }
    let hostile = get(&app, "/commands?state=%3Cscript%3E").await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);
    assert!(!hostile.body.contains("<script>"), "{}", hostile.body);
    let unknown = Uuid::new_v4();
    let missing = get(&app, &format!("/commands/{unknown}")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert!(
        missing.body.contains("<h1>404 Not found</h1>"),
        "{}",
        missing.body
    );
    let missing = s
        .post(&app, &format!("/commands/{unknown}/retry"), &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    let verb = s.post(&app, &format!("/commands/{id}/explode"), &[]).await;
    assert_eq!(verb.status, StatusCode::NOT_FOUND, "{}", verb.body);

    for fields in [
        vec![("bulk", "cancel:selected")],
        vec![("bulk", "cancel:selected"), ("sel", "x")],
        vec![("bulk", "explode:matching")],
        vec![],
        vec![("bulk", "cancel:matching"), ("state", "lost")],
        vec![("bulk", "cancel:matching"), ("confirm", "maybe")],
        vec![("bulk", "cancel:matching"), ("other", "1")],
    ] {
        let answer = s.post(&app, "/commands/bulk", &fields).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{fields:?}: {}",
            answer.body
        );
    }
    assert_eq!(
        state(&client, id).await,
        State::Scheduled,
        "nothing changed"
    );
}
