//! The dashboard's router against real databases, request by request as a browser sends
//! them: every page and action, CSRF and read-only refusals, the auth hook, escaping, 400s on
//! bad input, and mounting under a prefix. Each test runs on PostgreSQL, SQLite and (with the
//! `mysql` feature) MySQL/MariaDB.

mod support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use orchestratum::workflow::{IfParentFails, Step, Workflow};
use orchestratum::{Command as _, Orchestratum, Schedule};
use orchestratum_web::{Access, Options, basic, bearer, router};
use serde::{Deserialize, Serialize};
use support::{Backend, Session, TestDb, get, post_raw, request, send};

support::on_every_backend!(
    pages_show_the_queue_escaped,
    schedule_actions,
    flow_actions,
    workflow_graph,
    csrf_refusals,
    read_only_and_auth_hook,
    bad_input_answers_400,
    mounted_under_a_prefix,
    database_errors_answer_a_page,
    bearer_and_basic_hooks,
    throughput_chart,
    overview_marks_estimates_and_windows,
    metrics_endpoint,
);

/// What the schedule pushes; its input holds markup that must render as text.
#[derive(Serialize, Deserialize)]
struct TickCommand {
    note: String,
}
impl orchestratum::Command for TickCommand {
    type Output = ();
}

/// A command whose stored name is markup.
#[derive(Serialize, Deserialize)]
struct HostileCommand;
impl orchestratum::Command for HostileCommand {
    type Output = ();
    fn name() -> std::borrow::Cow<'static, str> {
        SCRIPT.into()
    }
}

#[derive(Serialize, Deserialize)]
struct StepCommand;
impl orchestratum::Command for StepCommand {
    type Output = u32;
}

const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

/// Starts an instance that stores the yearly schedule `nightly` (so it does not fire during a
/// test) and waits for its worker to register; stop it with `shutdown`.
async fn with_schedule(db: &TestDb) -> (Orchestratum, orchestratum::Client) {
    let schedule = Schedule::cron("nightly", "0 0 1 1 *")
        .unwrap()
        .command(TickCommand {
            note: SCRIPT.into(),
        })
        .unwrap();
    let instance: Orchestratum = db
        .builder()
        .instance_key("web-test")
        .schedule(schedule)
        .start()
        .await
        .expect("start an instance");
    let client = instance.client();
    // The worker registers at its first heartbeat.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while client.workers().await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the worker registers");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (instance, client)
}

/// Overview, workers, schedules and flow pages show what the store holds; a name, input
/// or error holding `<script>` renders as text; the nav links only to existing pages; the
/// assets are served with cache headers.
async fn pages_show_the_queue_escaped(db: TestDb) {
    let (instance, client) = with_schedule(&db).await;
    client.push(StepCommand).await.unwrap();
    client.push(HostileCommand).await.unwrap();
    client.pause(SCRIPT).await.unwrap();
    let app = router(client.clone(), Options::new());

    let overview = get(&app, "/").await;
    let body = overview.page();
    let csp = overview.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(overview.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(overview.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(body.contains("<h1>Overview</h1>"), "{body}");
    assert!(
        body.contains(r#"data-state="pending" data-accuracy="exact">2<"#),
        "{body}"
    );
    assert!(
        body.contains(r#"<td><a href="/commands?name=step">step</a></td>"#),
        "name row, linked to the list: {body}"
    );
    assert!(
        body.contains(&format!(
            r#"<td><a href="/commands?name=%3Cscript%3Ealert%281%29%3C%2Fscript%3E">{SCRIPT_ESCAPED}</a></td>"#
        )),
        "command name escaped, its link encoded: {body}"
    );
    assert!(
        body.contains(&format!("<li>{SCRIPT_ESCAPED}</li>")),
        "paused name escaped: {body}"
    );
    assert!(!body.contains(SCRIPT), "no raw script: {body}");
    for link in [
        r#"href="/""#,
        r#"href="/commands""#,
        r#"href="/workers""#,
        r#"href="/schedules""#,
        r#"href="/flow""#,
    ] {
        assert!(body.contains(link), "nav {link}: {body}");
    }
    // Every nav link answers a page.
    for path in ["/commands", "/workers", "/schedules", "/flow"] {
        get(&app, path).await.page();
    }

    let live = get(&app, "/live/overview").await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(
        live.body
            .contains(r#"data-state="pending" data-accuracy="exact">2<"#),
        "{}",
        live.body
    );
    assert!(!live.body.contains("<nav"), "a fragment: {}", live.body);

    let workers = get(&app, "/workers").await;
    let body = workers.page();
    let w = &client.workers().await.unwrap()[0];
    assert!(body.contains(&w.worker_id.to_string()), "{body}");
    assert!(body.contains("web-test"), "{body}");

    let schedules = get(&app, "/schedules").await;
    let body = schedules.page();
    assert!(
        body.contains("nightly") && body.contains("0 0 1 1 *"),
        "{body}"
    );
    assert!(body.contains("tick") && body.contains("never"), "{body}");
    assert!(
        body.contains("alert(1)") && !body.contains(SCRIPT),
        "input escaped: {body}"
    );
    assert!(body.contains(r#"action="/schedules/pause""#), "{body}");

    let flow = get(&app, "/flow").await;
    let body = flow.page();
    assert!(
        body.contains(SCRIPT_ESCAPED) && !body.contains(SCRIPT),
        "{body}"
    );
    assert!(body.contains(r#"action="/flow/resume""#), "{body}");

    for (path, kind) in [
        ("/assets/style.css", "text/css"),
        ("/assets/live.js", "text/javascript"),
    ] {
        let asset = get(&app, path).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert!(
            asset.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(
            asset.headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        assert!(!asset.body.is_empty());
    }
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
}

async fn stored(client: &orchestratum::Client) -> orchestratum::ScheduleInfo {
    client.schedules().await.unwrap().remove(0)
}

/// Pause, resume and trigger a schedule from its page; each answers 303 back to it.
async fn schedule_actions(db: TestDb) {
    let (instance, client) = with_schedule(&db).await;
    let app = router(client.clone(), Options::new());
    let s = Session::open(&app, "/schedules").await;

    let paused = s
        .post(&app, "/schedules/pause", &[("name", "nightly")])
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    assert_eq!(paused.location(), "/schedules");
    assert!(stored(&client).await.paused);
    let page = s.get(&app, "/schedules").await;
    assert!(page.page().contains(r#"action="/schedules/resume""#));

    let resumed = s
        .post(&app, "/schedules/resume", &[("name", "nightly")])
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    assert!(!stored(&client).await.paused);

    let triggered = s
        .post(&app, "/schedules/trigger", &[("name", "nightly")])
        .await;
    assert_eq!(triggered.status, StatusCode::SEE_OTHER);
    let location = triggered.location().to_owned();
    let id = location
        .strip_prefix("/schedules?triggered=")
        .expect(&location);
    let pushed = client
        .get(id.parse().unwrap())
        .await
        .expect("the pushed command");
    assert_eq!(pushed.name, TickCommand::name());
    let page = s.get(&app, &location).await;
    assert!(page.page().contains(id), "{}", page.body);

    let missing = s.post(&app, "/schedules/pause", &[("name", "nope")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert!(missing.body.contains("nope"));
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Pause and resume a name typed in the form and from its row.
async fn flow_actions(db: TestDb) {
    let client = db.client().await;
    let app = router(client.clone(), Options::new());
    let s = Session::open(&app, "/flow").await;
    assert!(s.get(&app, "/flow").await.page().contains(r#"name="name""#));

    let paused = s.post(&app, "/flow/pause", &[("name", "emails")]).await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    assert_eq!(paused.location(), "/flow");
    let controls = client.admin().controls().await.unwrap();
    assert!(controls.iter().any(|c| c.name == "emails" && c.paused));
    let page = s.get(&app, "/flow").await;
    assert!(page.page().contains("emails") && page.body.contains(r#"action="/flow/resume""#));

    let resumed = s.post(&app, "/flow/resume", &[("name", "emails")]).await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    let controls = client.admin().controls().await.unwrap();
    assert!(controls.iter().all(|c| c.name != "emails" || !c.paused));
}

/// A workflow's steps with their commands, states and parents; a missing one is a 404; the
/// overview's form leads to it.
async fn workflow_graph(db: TestDb) {
    let client = db.client().await;
    let pushed = client
        .push_workflow(
            Workflow::new("report")
                .step(Step::new("fetch", StepCommand))
                .step(Step::new("parse", StepCommand).after("fetch"))
                .step(Step::new("merge", StepCommand).after_with("parse", IfParentFails::Run))
                .on_failure(Step::new("alert", StepCommand)),
        )
        .await
        .unwrap();
    let info = client.workflow(pushed.id).await.unwrap();
    let fetch = info.step("fetch").unwrap().command.id;
    let parse = info.step("parse").unwrap().command.id;
    let app = router(client.clone(), Options::new());

    let page = get(&app, &format!("/workflows/{}", pushed.id)).await;
    let body = page.page();
    assert!(
        body.contains("Workflow report") && body.contains("running"),
        "{body}"
    );
    for key in ["fetch", "parse", "merge", "alert"] {
        assert!(body.contains(&format!("<td>{key}")), "{key}: {body}");
    }
    assert!(
        body.contains(&format!(r##"href="#step-{fetch}">fetch</a>"##)),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            r##"href="#step-{parse}">parse</a> <span class="muted">(runs if it fails)"##
        )),
        "{body}"
    );
    assert!(body.contains("(on failure)"), "{body}");
    assert!(
        body.contains(">pending<") && body.contains(">waiting<"),
        "{body}"
    );

    let lookup = get(&app, &format!("/workflows?id={}", pushed.id)).await;
    assert_eq!(lookup.status, StatusCode::SEE_OTHER);
    assert_eq!(lookup.location(), format!("/workflows/{}", pushed.id));

    let missing = get(&app, &format!("/workflows/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

/// A POST without the cookie, with a wrong token, or from another origin is refused with 403
/// and changes nothing; the cookie is `SameSite=Strict` and `HttpOnly`.
async fn csrf_refusals(db: TestDb) {
    let client = db.client().await;
    let app = router(client.clone(), Options::new());
    let first = get(&app, "/flow").await;
    let (_, attrs) = first.csrf_cookie().unwrap();
    assert!(
        attrs.contains("SameSite=Strict") && attrs.contains("HttpOnly") && attrs.contains("Path=/"),
        "{attrs}"
    );
    let s = Session::open(&app, "/flow").await;
    let token = s.token.clone();

    let no_cookie = post_raw(
        &app,
        "/flow/pause",
        "",
        &[("orch_csrf", &token), ("name", "x")],
        None,
    )
    .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(no_cookie.body.contains("CSRF"), "{}", no_cookie.body);
    let wrong = post_raw(
        &app,
        "/flow/pause",
        &s.cookie,
        &[("orch_csrf", "0123"), ("name", "x")],
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let missing = post_raw(&app, "/flow/pause", &s.cookie, &[("name", "x")], None).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let fields = [("orch_csrf", token.as_str()), ("name", "x")];
    let foreign = post_raw(
        &app,
        "/flow/pause",
        &s.cookie,
        &fields,
        Some("https://evil.test"),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert!(foreign.body.contains("another site"), "{}", foreign.body);
    let referer = send(
        &app,
        request("POST", "/flow/pause")
            .header(header::COOKIE, &s.cookie)
            .header(header::REFERER, "https://evil.test/flow")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("orch_csrf={token}&name=x")))
            .unwrap(),
    )
    .await;
    assert_eq!(referer.status, StatusCode::FORBIDDEN);
    assert!(
        client.admin().controls().await.unwrap().is_empty(),
        "nothing changed"
    );

    // The same form with the right token and no Origin (some clients send none) is taken.
    let ok = post_raw(&app, "/flow/pause", &s.cookie, &fields, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(client.admin().controls().await.unwrap().len(), 1);
}

/// Read-only mode and an auth hook's three answers.
async fn read_only_and_auth_hook(db: TestDb) {
    let (instance, client) = with_schedule(&db).await;
    let read_only = router(client.clone(), Options::new().read_only(true));
    let page = get(&read_only, "/schedules").await;
    let body = page.page();
    assert!(
        body.contains("nightly") && !body.contains("<form method=\"post\""),
        "{body}"
    );
    assert!(!body.contains("/schedules/pause"), "{body}");
    let s = Session::open(&read_only, "/schedules").await;
    let refused = s
        .post(&read_only, "/schedules/pause", &[("name", "nightly")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("read-only"), "{}", refused.body);
    assert!(!stored(&client).await.paused);

    // The hook: no header denies, `x-role: viewer` reads, `x-role: admin` does everything.
    let hook = |parts: &axum::http::request::Parts| match parts
        .headers
        .get("x-role")
        .map(|v| v.as_bytes())
    {
        Some(b"admin") => Access::Full,
        Some(b"viewer") => Access::ReadOnly,
        _ => Access::Deny((StatusCode::UNAUTHORIZED, "who are you").into_response()),
    };
    let app = router(client.clone(), Options::new().auth(hook));
    let denied = get(&app, "/schedules").await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert_eq!(denied.body, "who are you");
    let as_role =
        |role: &'static str, method: &str, path: &str, cookie: Option<&str>, body: String| {
            let mut b = request(method, path).header("x-role", role);
            if let Some(c) = cookie {
                b = b.header(header::COOKIE, c);
            }
            if method == "POST" {
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            b.body(Body::from(body)).unwrap()
        };
    let viewer = send(
        &app,
        as_role("viewer", "GET", "/schedules", None, String::new()),
    )
    .await;
    assert!(viewer.page().contains("nightly") && !viewer.body.contains("/schedules/pause"));
    let (cookie, _) = viewer.csrf_cookie().unwrap();
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let form = format!("orch_csrf={token}&name=nightly");
    let viewer_post = send(
        &app,
        as_role(
            "viewer",
            "POST",
            "/schedules/pause",
            Some(&cookie),
            form.clone(),
        ),
    )
    .await;
    assert_eq!(viewer_post.status, StatusCode::FORBIDDEN);
    assert!(!stored(&client).await.paused);
    let admin = send(
        &app,
        as_role("admin", "GET", "/schedules", Some(&cookie), String::new()),
    )
    .await;
    assert!(admin.page().contains("/schedules/pause"));
    let admin_post = send(
        &app,
        as_role("admin", "POST", "/schedules/pause", Some(&cookie), form),
    )
    .await;
    assert_eq!(
        admin_post.status,
        StatusCode::SEE_OTHER,
        "{}",
        admin_post.body
    );
    assert!(stored(&client).await.paused);
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Bad ids, query parameters and forms answer a 400 HTML page that names the problem,
/// escaped; an unknown path a 404 page; another method a 405.
async fn bad_input_answers_400(db: TestDb) {
    let app = router(db.client().await, Options::new());
    for path in [
        "/?lapsed=0",
        "/?lapsed=101",
        "/?lapsed=abc",
        "/?unknown=1",
        "/schedules?triggered=nope",
        "/workflows/not-a-uuid",
        "/workflows/%FF%FE",
        "/workflows?id=12",
        "/workflows",
        "/?hours=0",
        "/?hours=5",
        "/?hours=-1",
        "/?hours=abc",
        "/?hours=",
        "/live/throughput?hours=48",
        "/live/throughput?other=1",
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
    let hostile = get(&app, "/workflows/%3Cscript%3E").await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);
    assert!(!hostile.body.contains("<script>"), "{}", hostile.body);

    let s = Session::open(&app, "/flow").await;
    let empty = s.post(&app, "/flow/pause", &[("name", "  ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
    let absent = s.post(&app, "/flow/pause", &[]).await;
    assert_eq!(absent.status, StatusCode::BAD_REQUEST, "{}", absent.body);
    let long = "n".repeat(1000);
    let too_long = s.post(&app, "/flow/pause", &[("name", &long)]).await;
    assert_eq!(
        too_long.status,
        StatusCode::BAD_REQUEST,
        "{}",
        too_long.body
    );

    let missing = get(&app, "/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("<h1>404 Not found</h1>"),
        "{}",
        missing.body
    );
    let put = send(&app, request("PUT", "/flow").body(Body::empty()).unwrap()).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Nested under `/ops`, every link, form action, redirect and the cookie's path start there.
async fn mounted_under_a_prefix(db: TestDb) {
    let (instance, client) = with_schedule(&db).await;
    let options = Options::new().refresh_interval(Duration::from_secs(2));
    let app = Router::new().nest("/ops", router(client.clone(), options));
    {
        let root = get(&app, "/ops").await;
        let body = root.page();
        assert!(body.contains(r#"href="/ops/workers""#), "{body}");
        assert!(body.contains(r#"href="/ops/assets/style.css"#), "{body}");
        assert!(
            body.contains(r#"data-live="/ops/live/overview?hours=6" data-interval="2000""#),
            "{body}"
        );
        assert!(!body.contains(r#"href="/workers""#), "{body}");
        let (_, attrs) = root.csrf_cookie().unwrap();
        assert!(attrs.contains("Path=/ops"), "{attrs}");
    }
    assert_eq!(
        get(&app, "/ops/assets/live.js").await.status,
        StatusCode::OK
    );
    let s = Session::open(&app, "/ops/schedules").await;
    let page = s.get(&app, "/ops/schedules").await;
    assert!(
        page.page().contains(r#"action="/ops/schedules/pause""#),
        "{}",
        page.body
    );
    let paused = s
        .post(&app, "/ops/schedules/pause", &[("name", "nightly")])
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    assert_eq!(paused.location(), "/ops/schedules");
    assert!(stored(&client).await.paused);
    assert_eq!(get(&app, "/workers").await.status, StatusCode::NOT_FOUND);

    // The Commands pages: links, forms and the redirect after an action.
    let id = client.push(StepCommand).await.unwrap();
    let list = s.get(&app, "/ops/commands").await;
    let body = list.page();
    assert!(
        body.contains(&format!(r#"href="/ops/commands/{id}""#)),
        "{body}"
    );
    assert!(body.contains(r#"action="/ops/commands/bulk""#), "{body}");
    let page = s.get(&app, &format!("/ops/commands/{id}")).await;
    assert!(
        page.page()
            .contains(&format!(r#"action="/ops/commands/{id}/copy""#)),
        "{}",
        page.body
    );
    let deleted = s
        .post(&app, &format!("/ops/commands/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.location(), format!("/ops/commands?deleted={id}"));
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// A database the pages cannot read (no tables under this prefix) answers a 503 page with
/// the driver's error, escaped, not a 500 or a panic.
async fn database_errors_answer_a_page(db: TestDb) {
    let client = db
        .builder()
        .table_prefix(format!("{}missing_", db.prefix))
        .migrate(false)
        .connect()
        .await
        .expect("connect without migrating");
    let app = router(client, Options::new());
    for path in ["/", "/commands", "/workers", "/schedules", "/flow"] {
        let answer = get(&app, path).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            answer.body
        );
        let missing_table = format!("{}missing_", db.prefix);
        assert!(
            answer.body.contains(&missing_table),
            "{path}: the driver's error: {}",
            answer.body
        );
        assert!(
            answer.body.contains("Database unavailable"),
            "{path}: {}",
            answer.body
        );
    }
}

/// GET `/workers` with an optional `Authorization` header.
async fn with(app: &Router, auth: Option<&str>) -> support::Answer {
    let mut b = request("GET", "/workers");
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

/// The ready hooks: `bearer` lets in only its token, `basic` only its user and password,
/// each refusing with 401 and a challenge.
async fn bearer_and_basic_hooks(db: TestDb) {
    let client = db.client().await;
    let app = router(client.clone(), Options::new().auth(bearer("t0ken")));
    let none = with(&app, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(
        none.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(
        with(&app, Some("Bearer t0ke")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        with(&app, Some("Basic t0ken")).await.status,
        StatusCode::UNAUTHORIZED
    );
    with(&app, Some("Bearer t0ken")).await.page();

    let app = router(client, Options::new().auth(basic("ops", "pw")));
    let none = with(&app, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(
        none.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    // "ops:pw", "ops:px" and "ops" in base64, and something that is not base64.
    with(&app, Some("Basic b3BzOnB3")).await.page();
    for bad in [
        "Basic b3BzOnB4",
        "Basic b3Bz",
        "Basic !!!",
        "Bearer b3BzOnB3",
    ] {
        assert_eq!(
            with(&app, Some(bad)).await.status,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
}

/// A name holding markup, a double quote and a backslash: escaped in HTML and SVG, and in
/// Prometheus label values.
const NASTY: &str = "<script>\"x\\y</script>";

/// The current minute, in minutes since the Unix epoch.
fn this_minute() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(60)
}

/// Adds `count` outcomes of `name` to the stats bucket `minutes_ago` minutes before the
/// minute `now` (one base for all of a test's buckets, so a minute turning between two
/// writes does not split them).
async fn bucket(
    client: &orchestratum::Client,
    now: i64,
    minutes_ago: i64,
    name: &str,
    outcome: &'static str,
    count: i64,
) {
    let minute = now - minutes_ago;
    client
        .store()
        .add_stats(&[orchestratum::store::StatsDelta {
            minute,
            name: name.into(),
            outcome,
            count,
            run_us: 1_000 * count,
        }])
        .await
        .expect("add a stats bucket");
}

/// The cells of the totals row `data-name` of a chart: the counts in outcome order and the
/// total.
fn totals_row(body: &str, name: &str) -> Vec<u64> {
    let start = format!(r#"<tr data-name="{name}">"#);
    let at = body
        .find(&start)
        .unwrap_or_else(|| panic!("no totals row {start}: {body}"));
    let row = &body[at..at + body[at..].find("</tr>").unwrap()];
    row.split(r#"<td class="num""#)
        .skip(1)
        .map(|cell| {
            let value = cell.split_once('>').unwrap().1;
            value[..value.find('<').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The chart shows the stats buckets of its window (completed, retried, failed, canceled and
/// their total, by name and overall), drawn as SVG bars with a title per minute; a name
/// holding markup is escaped in the table, links and SVG title; the window and the name
/// filter follow the query; the fragment the script refreshes answers the same.
async fn throughput_chart(db: TestDb) {
    let client = db.client().await;
    let app = router(client.clone(), Options::new());
    let empty = get(&app, "/").await;
    let body = empty.page();
    assert!(body.contains("<svg"), "{body}");
    assert_eq!(totals_row(body, ""), vec![0, 0, 0, 0, 0], "{body}");
    assert!(!body.contains("<rect"), "no bar without outcomes: {body}");

    let m = this_minute();
    bucket(&client, m, 2, "step", "completed", 5).await;
    bucket(&client, m, 2, "step", "failed", 1).await;
    bucket(&client, m, 10, "step", "completed", 2).await;
    bucket(&client, m, 10, "step", "retried", 3).await;
    bucket(&client, m, 3, NASTY, "canceled", 4).await;
    // Outside the default 6 h window, inside 24 h.
    bucket(&client, m, 7 * 60, "step", "completed", 100).await;

    let page = get(&app, "/").await;
    let body = page.page();
    assert_eq!(totals_row(body, "step"), vec![7, 3, 1, 0, 11], "{body}");
    let escaped_attr = "&lt;script&gt;&quot;x\\y&lt;/script&gt;";
    assert_eq!(
        totals_row(body, escaped_attr),
        vec![0, 0, 0, 4, 4],
        "{body}"
    );
    assert_eq!(totals_row(body, ""), vec![7, 3, 1, 4, 15], "{body}");
    assert!(
        body.contains("Outcomes per minute, last 6 h</title>"),
        "{body}"
    );
    // Three minutes have outcomes: three bar groups, one rect per nonzero outcome.
    assert_eq!(body.matches("<g><title>").count(), 3, "{body}");
    assert_eq!(body.matches("<rect").count(), 5, "{body}");
    assert_eq!(body.matches(r#"class="out-canceled""#).count(), 1, "{body}");
    assert!(body.contains(": 5 completed, 1 failed</title>"), "{body}");
    assert!(
        body.contains(
            "UTC: 7 completed, 3 retried, 1 failed, 4 canceled; at most 6 in one minute.</desc>"
        ),
        "the SVG's description has the totals and the peak: {body}"
    );
    assert!(!body.contains(NASTY), "no raw markup: {body}");
    assert!(
        body.contains(r#"aria-current="true">6 h</a>"#),
        "the chosen window: {body}"
    );
    assert!(
        body.contains(r#"data-live="/live/throughput?hours=6""#),
        "{body}"
    );

    let day = get(&app, "/?hours=24").await;
    assert_eq!(totals_row(day.page(), "step"), vec![107, 3, 1, 0, 111]);
    let hour = get(&app, "/?hours=1").await;
    assert_eq!(totals_row(hour.page(), ""), vec![7, 3, 1, 4, 15]);

    // One name: its totals only, its name escaped in the SVG title and the links.
    let q = serde_urlencoded::to_string([("hours", "6"), ("name", NASTY)]).unwrap();
    let only = get(&app, &format!("/?{q}")).await;
    let body = only.page();
    assert_eq!(totals_row(body, ""), vec![0, 0, 0, 4, 4], "{body}");
    assert!(!body.contains(r#"<tr data-name="step">"#), "{body}");
    assert!(
        body.contains(
            "Outcomes per minute of &lt;script&gt;&quot;x\\y&lt;/script&gt;, last 6 h</title>"
        ),
        "{body}"
    );
    assert!(!body.contains(NASTY), "{body}");
    let link = format!(
        r#"data-live="/live/throughput?{}""#,
        q.replace('&', "&amp;")
    );
    assert!(body.contains(&link), "{link}: {body}");

    let live = get(&app, "/live/throughput?hours=24").await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(!live.body.contains("<nav"), "a fragment: {}", live.body);
    assert_eq!(totals_row(&live.body, "step"), vec![107, 3, 1, 0, 111]);
    // A name no command can have (over the limit) is a 400, not a 500.
    let long = get(&app, &format!("/?name={}", "n".repeat(1000))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST, "{}", long.body);
}

/// One sample of Prometheus text: `name{labels} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the exposition format's sample lines (comments skipped), unescaping label values;
/// panics on a line that is not one.
fn parse_prometheus(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .unwrap_or_else(|| panic!("no value: {line}"));
        let name = &line[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name {name:?} in {line}"
        );
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            loop {
                let (start, c) = chars
                    .next()
                    .unwrap_or_else(|| panic!("open labels: {line}"));
                if c == '}' {
                    rest = &inner[start + 1..];
                    break;
                }
                let eq = inner[start..].find('=').unwrap() + start;
                let key = inner[start..eq].trim_start_matches(',').to_owned();
                while chars.peek().is_some_and(|(i, _)| *i <= eq) {
                    chars.next();
                }
                assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                let mut value = String::new();
                loop {
                    match chars
                        .next()
                        .unwrap_or_else(|| panic!("open value: {line}"))
                        .1
                    {
                        '"' => break,
                        '\\' => match chars.next().unwrap().1 {
                            'n' => value.push('\n'),
                            c @ ('\\' | '"') => value.push(c),
                            c => panic!("bad escape \\{c} in {line}"),
                        },
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
                if chars.peek().is_some_and(|(_, c)| *c == ',') {
                    chars.next();
                }
            }
        }
        let value = rest
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("value of {line}: {e}"));
        out.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    out
}

/// The value of the one sample `name` with exactly `labels`.
fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(k2, v2)| k2 == k && v2 == v))
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} twice: {found:?}");
    found.first().map(|s| s.value)
}

/// Scrapes `/metrics` with an optional bearer token.
async fn scrape(app: &Router, token: Option<&str>) -> support::Answer {
    let mut b = request("GET", "/metrics");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

/// The overview counts the unfinished states exactly and marks the rest: the finished states
/// are the stats' outcomes over the chart's window (a name without rows included, a bucket
/// before the window not), a target has none, and the table's rows are the database's
/// estimate on PostgreSQL and MySQL, shown "≈ … (estimate)", an exact count on SQLite.
async fn overview_marks_estimates_and_windows(db: TestDb) {
    let client = db.client().await;
    client.push(StepCommand).await.unwrap();
    let m = this_minute();
    bucket(&client, m, 2, "step", "completed", 5).await;
    bucket(&client, m, 3, "gone", "failed", 4).await;
    bucket(&client, m, 120, "gone", "failed", 30).await;
    let app = router(client.clone(), Options::new());

    let overview = get(&app, "/?hours=1").await;
    let body = overview.page();
    assert!(
        body.contains(r#"data-state="pending" data-accuracy="exact">1<"#),
        "{body}"
    );
    assert!(
        body.contains(r#"data-state="completed" data-accuracy="windowed">5<"#),
        "{body}"
    );
    assert!(
        body.contains(r#"data-state="failed" data-accuracy="windowed">4<"#),
        "the stats' failures in the last hour, not the older bucket: {body}"
    );
    assert!(
        body.contains("completed<br><span class=\"mark\">last 1 h</span>"),
        "{body}"
    );
    assert!(
        body.contains("outcomes of the last 1 h from the per-minute stats"),
        "{body}"
    );
    assert!(
        body.contains(r#"<td><a href="/commands?name=gone">gone</a></td>"#),
        "a name with outcomes and no row: {body}"
    );
    assert!(
        body.contains(r#"data-accuracy="none"><span class="muted" title="not counted: the per-minute stats have no target">–</span>"#),
        "a target's finished states are not counted: {body}"
    );
    match db.backend {
        Backend::Sqlite => assert!(
            body.contains(r#"id="table-rows" data-accuracy="exact" data-rows="1">1<"#),
            "{body}"
        ),
        _ => {
            assert!(
                body.contains(r#"id="table-rows" data-accuracy="estimated""#),
                "{body}"
            );
            assert!(
                body.contains(r#"<span class="mark">(estimate)</span>"#),
                "{body}"
            );
            assert!(
                body.contains("is the database's estimate of the table's rows"),
                "{body}"
            );
        }
    }
    assert!(
        body.contains(r#"data-live="/live/overview?hours=1""#),
        "the live counts keep the window: {body}"
    );

    let live = get(&app, "/live/overview?hours=24").await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(live.body.contains("last 24 h"), "{}", live.body);
    assert!(
        live.body
            .contains(r#"data-state="failed" data-accuracy="windowed">34<"#),
        "{}",
        live.body
    );
    assert_eq!(
        get(&app, "/live/overview?hours=5").await.status,
        StatusCode::BAD_REQUEST
    );
}

/// `/metrics` answers Prometheus text, never cached, with the queue's gauges by state and by
/// name, the oldest pending age, lapsed leases, paused names and the last whole minute's
/// outcomes from the stats table (names escaped as label values), then the hook's text; it
/// is behind the same auth hook as the pages.
async fn metrics_endpoint(db: TestDb) {
    let client = db.client().await;
    client.push(StepCommand).await.unwrap();
    client.push(StepCommand).await.unwrap();
    client
        .push_with(
            StepCommand,
            orchestratum::Push::new().delay(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    client.push(HostileCommand).await.unwrap();
    client.pause(NASTY).await.unwrap();
    client.pause("other").await.unwrap();
    let options = Options::new()
        .auth(bearer("t0ken"))
        .metrics(|| "# TYPE app_requests_total counter\napp_requests_total 42".to_owned());
    let app = router(client.clone(), options);

    assert_eq!(scrape(&app, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&app, Some("wrong")).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The last whole minute is the one before the scrape's; should the minute turn between
    // writing the buckets and scraping, the expected minute is not known: write them again.
    let (answer, samples) = loop {
        let before = this_minute();
        bucket(&client, before, 1, "step", "completed", 7).await;
        bucket(&client, before, 1, NASTY, "failed", 2).await;
        // Not the last whole minute: the current one, and an older one.
        bucket(&client, before, 0, "step", "completed", 50).await;
        bucket(&client, before, 2, "step", "completed", 60).await;
        let answer = scrape(&app, Some("t0ken")).await;
        if this_minute() == before {
            let samples = parse_prometheus(&answer.body);
            break (answer, samples);
        }
        client.store().prune_stats(i64::MAX).await.unwrap();
    };
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let g = |name: &str, labels: &[(&str, &str)]| {
        sample(&samples, name, labels)
            .unwrap_or_else(|| panic!("{name} {labels:?}: {}", answer.body))
    };
    for (state, n) in [
        ("pending", 3.0),
        ("scheduled", 1.0),
        ("running", 0.0),
        ("waiting", 0.0),
    ] {
        assert_eq!(
            g("orchestratum_queue_commands", &[("state", state)]),
            n,
            "{state}"
        );
    }
    let by_name = "orchestratum_queue_commands_by_name";
    assert_eq!(g(by_name, &[("name", "step"), ("state", "pending")]), 2.0);
    assert_eq!(g(by_name, &[("name", "step"), ("state", "scheduled")]), 1.0);
    assert_eq!(g(by_name, &[("name", SCRIPT), ("state", "pending")]), 1.0);
    // The finished states are not counted (that would scan the table): their outcomes are
    // the stats' gauge below, and the table's size is the row estimate.
    for state in ["completed", "failed", "canceled"] {
        assert!(
            !answer.body.contains(&format!(r#"state="{state}"}}"#)),
            "{state}: {}",
            answer.body
        );
    }
    let rows = g("orchestratum_queue_rows_estimate", &[]);
    match db.backend {
        Backend::Sqlite => assert_eq!(rows, 4.0),
        _ => assert!(rows >= 0.0, "{rows}"),
    }
    assert!(
        answer.body.contains(
            "# HELP orchestratum_queue_rows_estimate Rows in the commands table, finished ones \
             included: the database's estimate, not a count"
        ),
        "{}",
        answer.body
    );
    let age = g("orchestratum_queue_oldest_pending_age_seconds", &[]);
    assert!((0.0..600.0).contains(&age), "{age}");
    assert_eq!(g("orchestratum_queue_lapsed_leases", &[]), 0.0);
    assert_eq!(g("orchestratum_queue_paused_names", &[]), 2.0);
    let last = "orchestratum_stats_last_minute_outcomes";
    assert_eq!(g(last, &[("name", "step"), ("outcome", "completed")]), 7.0);
    assert_eq!(g(last, &[("name", "step"), ("outcome", "failed")]), 0.0);
    assert_eq!(g(last, &[("name", NASTY), ("outcome", "failed")]), 2.0);
    assert_eq!(g(last, &[("name", NASTY), ("outcome", "completed")]), 0.0);
    assert!(
        answer
            .body
            .contains(r#"name="<script>\"x\\y</script>",outcome="failed"} 2"#),
        "label escaping: {}",
        answer.body
    );
    assert_eq!(g("app_requests_total", &[]), 42.0);
    assert!(
        answer.body.ends_with("app_requests_total 42\n"),
        "{}",
        answer.body
    );
    for family in [
        "orchestratum_queue_commands",
        "orchestratum_queue_commands_by_name",
        "orchestratum_queue_oldest_pending_age_seconds",
        "orchestratum_queue_lapsed_leases",
        "orchestratum_queue_paused_names",
        "orchestratum_queue_rows_estimate",
        "orchestratum_stats_last_minute_outcomes",
    ] {
        assert!(
            answer.body.contains(&format!("# TYPE {family} gauge\n")),
            "{family}: {}",
            answer.body
        );
    }

    // Without the hook and with nothing pending: no extra text, a zero age.
    let bare = router(db.client().await, Options::new().read_only(true));
    let all = orchestratum::admin::Selection::Matching(Default::default());
    let deleted = client.admin().delete_all(&all).await.unwrap();
    assert_eq!(deleted.changed, 4);
    let answer = scrape(&bare, None).await;
    let samples = parse_prometheus(&answer.body);
    assert_eq!(
        sample(
            &samples,
            "orchestratum_queue_oldest_pending_age_seconds",
            &[]
        ),
        Some(0.0),
        "{}",
        answer.body
    );
    assert_eq!(
        sample(
            &samples,
            "orchestratum_queue_commands",
            &[("state", "pending")]
        ),
        Some(0.0)
    );
    assert!(
        !answer.body.contains("app_requests_total"),
        "{}",
        answer.body
    );
}
