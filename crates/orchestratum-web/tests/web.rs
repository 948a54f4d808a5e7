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

macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::TestDb::new(crate::Backend::Postgres).await;
                    crate::$case(db.clone()).await;
                    db.cleanup().await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::$case(crate::TestDb::new(crate::Backend::Sqlite).await).await;
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::TestDb::new(crate::Backend::Mysql).await;
                    crate::$case(db.clone()).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_every_backend!(
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
    assert!(body.contains(r#"data-state="pending">2<"#), "{body}");
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
        live.body.contains(r#"data-state="pending">2<"#),
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
            body.contains(r#"data-live="/ops/live/overview" data-interval="2000""#),
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
