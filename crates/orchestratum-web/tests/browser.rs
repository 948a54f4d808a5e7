//! The dashboard driven as a person uses it, in headless Chromium through Debian's
//! `chromedriver`: the router served on a free port over a real database, a worker in this
//! process. Journeys: find a failed command by filter, read its attempts and its chain's graph,
//! retry it and see it complete without a reload, follow the graph to its parent; pause a name,
//! see its commands stay pending, resume, see them run; follow a workflow step's graph.
//!
//! Under `CI=true` a missing `chromium` or `chromedriver` fails the test; elsewhere it is skipped
//! with a printed reason. With `ORCH_SCREENSHOTS=<dir>` the SQLite run saves 1280×800 PNGs of
//! the main pages there (`docs/dashboard/` in the repository).

mod support;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use orchestratum::workflow::{Step, Workflow};
use orchestratum::{
    Command, Context, Failure, Handler, HandlerError, HandlerResult, Next, Orchestratum, State,
};
use orchestratum_web::{Options, router};
use serde::{Deserialize, Serialize};
use support::{Backend, TestDb};
use thirtyfour::prelude::*;
use uuid::Uuid;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long any one condition may take to hold.
const DEADLINE: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_journeys() {
    let db = TestDb::new(Backend::Sqlite).await;
    journeys(&db, std::env::var_os("ORCH_SCREENSHOTS").map(PathBuf::from)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_journeys() {
    let db = TestDb::new(Backend::Postgres).await;
    journeys(&db, None).await;
    db.cleanup().await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_journeys() {
    let db = TestDb::new(Backend::Mysql).await;
    journeys(&db, None).await;
    db.cleanup().await;
}

/// An order whose success enqueues its invoice: the invoice's parent in the chain.
#[derive(Serialize, Deserialize)]
struct OrderCommand {
    customer: String,
}
impl Command for OrderCommand {
    type Output = ();
    fn on_success(&self, _: &()) -> Vec<Next> {
        vec![Next::new(InvoiceCommand {
            customer: self.customer.clone(),
        })]
    }
}

struct OrderHandler;
impl Handler for OrderHandler {
    type Command = OrderCommand;
    async fn execute(&self, _: OrderCommand, _: Context) -> HandlerResult<()> {
        Ok(())
    }
}

/// What a failed invoice enqueues: its follow-up in the chain.
#[derive(Serialize, Deserialize)]
struct NotifyCommand {
    about: String,
}
impl Command for NotifyCommand {
    type Output = ();
}

struct NotifyHandler;
impl Handler for NotifyHandler {
    type Command = NotifyCommand;
    async fn execute(&self, _: NotifyCommand, _: Context) -> HandlerResult<()> {
        Ok(())
    }
}

/// Fails for good until `ok` is set, then succeeds.
#[derive(Serialize, Deserialize)]
struct InvoiceCommand {
    customer: String,
}
impl Command for InvoiceCommand {
    type Output = String;
    fn on_failure(&self, _: &Failure) -> Vec<Next> {
        vec![Next::new(NotifyCommand {
            about: self.customer.clone(),
        })]
    }
}

struct InvoiceHandler {
    ok: Arc<AtomicBool>,
}
impl Handler for InvoiceHandler {
    type Command = InvoiceCommand;
    async fn execute(&self, c: InvoiceCommand, _: Context) -> HandlerResult<String> {
        if self.ok.load(Ordering::SeqCst) {
            Ok(format!("invoice for {}", c.customer))
        } else {
            Err(HandlerError::discard("payment gateway unreachable"))
        }
    }
}

/// Always succeeds: the name the flow-control journey pauses.
#[derive(Serialize, Deserialize)]
struct ExportCommand {
    n: u32,
}
impl Command for ExportCommand {
    type Output = u32;
}

struct ExportHandler;
impl Handler for ExportHandler {
    type Command = ExportCommand;
    async fn execute(&self, c: ExportCommand, _: Context) -> HandlerResult<u32> {
        Ok(c.n * 2)
    }
}

/// Whether the browser and its driver are here; false means skip (outside CI only).
fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!(
        "{} missing (Debian packages chromium and chromium-driver)",
        missing.join(" and ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("browser tests under CI=true: {reason}");
    }
    eprintln!("skipping the browser tests: {reason}");
    false
}

/// Polls `check` until it returns `Some`, failing the test with `what` after [`DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    support::eventually(what, DEADLINE, check).await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Debian's chromedriver on a free port, killed when dropped.
async fn start_chromedriver() -> (tokio::process::Child, String) {
    let port = free_port();
    let child = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    eventually("chromedriver to listen", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
    })
    .await;
    (child, url)
}

async fn headless(driver_url: &str) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM).unwrap();
    caps.set_headless().unwrap();
    // Root in a container has no user namespace for Chromium's sandbox.
    caps.set_no_sandbox().unwrap();
    caps.set_disable_dev_shm_usage().unwrap();
    caps.add_arg("--window-size=1280,800").unwrap();
    let driver = WebDriver::new(driver_url, caps)
        .await
        .expect("a Chromium session");
    // The window's frame is not part of the page: size the viewport itself to 1280×800.
    let frame = driver
        .execute(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
            Vec::new(),
        )
        .await
        .expect("the frame's size");
    let frame: (u32, u32) = frame.convert().expect("two numbers");
    driver
        .set_window_rect(0, 0, 1280 + frame.0, 800 + frame.1)
        .await
        .expect("window size");
    driver
}

/// Clicks what `by` finds, finding it again if the live refresh replaced it meanwhile.
async fn click(driver: &WebDriver, by: By) {
    eventually("an element to click", || async {
        driver.find(by.clone()).await.ok()?.click().await.ok()
    })
    .await;
}

/// The text of the element `css` matches, if there is one.
async fn text_of(driver: &WebDriver, css: &str) -> Option<String> {
    driver.find(By::Css(css)).await.ok()?.text().await.ok()
}

/// The text of the element `css` matches, read again if the live refresh replaced the element
/// between finding and reading it (its first tick always replaces the part it refreshes).
async fn text_now(driver: &WebDriver, css: &str) -> String {
    eventually(css, || text_of(driver, css)).await
}

async fn shot(driver: &WebDriver, dir: Option<&Path>, name: &str) {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).expect("screenshot dir");
        driver
            .screenshot(&dir.join(format!("{name}.png")))
            .await
            .expect("screenshot");
    }
}

async fn journeys(db: &TestDb, screenshots: Option<PathBuf>) {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    let ok = Arc::new(AtomicBool::new(false));
    let instance: Orchestratum = db
        .builder()
        .handler(InvoiceHandler { ok: ok.clone() })
        .handler(ExportHandler)
        .handler(OrderHandler)
        .handler(NotifyHandler)
        .start()
        .await
        .expect("start a worker");
    let client = instance.client();
    let app = router(
        client.clone(),
        Options::new().refresh_interval(Duration::from_millis(300)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let (_chromedriver, driver_url) = start_chromedriver().await;
    let driver = headless(&driver_url).await;
    let dir = screenshots.as_deref();

    // (a) A failed command (an order's follow-up, with a follow-up of its own), found by
    // filter, its chain read, retried, seen completing without a reload.
    let order = client
        .push(OrderCommand {
            customer: "<script>alert('acme')</script>".into(),
        })
        .await
        .unwrap();
    let fine = client.push(ExportCommand { n: 1 }).await.unwrap();
    let done = eventually("the order's invoice", || async {
        Some(client.follow_ups(order).await.ok()?.first()?.id)
    })
    .await;
    let waited = tokio::time::timeout(DEADLINE, client.wait::<InvoiceCommand>(done)).await;
    assert!(waited.is_ok(), "the invoice ran");
    assert_eq!(client.get(done).await.unwrap().state(), State::Failed);
    let notify = eventually("the invoice's notification", || async {
        Some(client.follow_ups(done).await.ok()?.first()?.id)
    })
    .await;
    tokio::time::timeout(DEADLINE, client.wait::<NotifyCommand>(notify))
        .await
        .expect("the notification ran")
        .unwrap();
    tokio::time::timeout(DEADLINE, client.wait::<ExportCommand>(fine))
        .await
        .expect("the export ran")
        .unwrap();

    driver.goto(format!("{base}/commands")).await.unwrap();
    click(
        &driver,
        By::Css("select[name='state'] option[value='failed']"),
    )
    .await;
    click(&driver, By::XPath("//button[text()='Filter']")).await;
    eventually("the failed filter in the URL", || async {
        let url = driver.current_url().await.ok()?;
        url.as_str().contains("state=failed").then_some(())
    })
    .await;
    let link = format!("a[href='/commands/{done}']");
    let rows = driver
        .find_all(By::Css("table tr td a[href^='/commands/']"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the failed command is listed");
    shot(&driver, dir, "commands").await;
    click(&driver, By::Css(&link)).await;

    let attempts = eventually("the attempts table", || text_of(&driver, "table.attempts")).await;
    assert!(
        attempts.contains("payment gateway unreachable") && attempts.contains("discarded"),
        "the attempt and its error: {attempts}"
    );
    let input = text_now(&driver, "#input").await;
    assert!(
        input.contains("<script>alert('acme')</script>"),
        "input shown as text: {input}"
    );
    // The chain's graph: the order above, the notification below, this one ringed.
    for css in [
        format!("#chain-graph a.parent[href='/commands/{order}']"),
        format!("#chain-graph a.follow-up[href='/commands/{notify}']"),
    ] {
        assert!(driver.find(By::Css(&css)).await.is_ok(), "{css}");
    }
    let me = text_now(&driver, "#chain-graph a.current").await;
    assert!(me.contains("failed · this command"), "{me}");
    if dir.is_some() {
        // The columns fill the first screen; the picture is of the error and the chain.
        driver
            .execute("document.querySelector('h2').scrollIntoView();", Vec::new())
            .await
            .unwrap();
    }
    shot(&driver, dir, "command").await;

    ok.store(true, Ordering::SeqCst);
    click(
        &driver,
        By::XPath("//form[contains(@action,'/retry')]/button"),
    )
    .await;
    eventually("the retried flash", || async {
        text_of(&driver, "#flash").await.filter(|t| !t.is_empty())
    })
    .await;
    // A mark the page loses if it is reloaded: the completion must arrive by the live part.
    driver
        .execute("window.orchMark = 'kept';", Vec::new())
        .await
        .unwrap();
    let state = eventually("the live part to show completed", || async {
        text_of(&driver, "#live strong.state-completed").await
    })
    .await;
    assert_eq!(state, "completed");
    let mark = driver
        .execute("return window.orchMark || null;", Vec::new())
        .await
        .unwrap();
    assert_eq!(
        mark.json(),
        &serde_json::json!("kept"),
        "the page was not reloaded"
    );
    let output = text_now(&driver, "#output").await;
    assert!(output.contains("invoice for"), "output live too: {output}");
    eventually("the graph live too", || async {
        let me = text_of(&driver, "#chain-graph a.current").await?;
        me.contains("completed · this command").then_some(())
    })
    .await;
    // A node is a link: the parent's node opens the order, whose graph has the invoice below.
    click(&driver, By::Css("#chain-graph a.parent")).await;
    eventually("the order's page", || async {
        let url = driver.current_url().await.ok()?;
        url.as_str()
            .ends_with(&format!("/commands/{order}"))
            .then_some(())
    })
    .await;
    let below = format!("#chain-graph a.follow-up[href='/commands/{done}']");
    eventually("the invoice below the order", || async {
        driver.find(By::Css(&below)).await.ok()
    })
    .await;

    // (b) A paused name keeps its commands pending; resumed, they run.
    driver.goto(format!("{base}/flow")).await.unwrap();
    let name_box = "//input[@type='text' and @name='name']";
    driver
        .find(By::XPath(name_box))
        .await
        .unwrap()
        .send_keys("export")
        .await
        .unwrap();
    click(
        &driver,
        By::XPath(format!("{name_box}/ancestor::form//button[text()='Pause']")),
    )
    .await;
    let status = "//table//tr[td[1][text()='export']]/td[2]";
    let shown = eventually("export's row on the Flow control page", || async {
        driver.find(By::XPath(status)).await.ok()?.text().await.ok()
    })
    .await;
    assert_eq!(shown, "paused");
    let held: Vec<Uuid> = {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(client.push(ExportCommand { n }).await.unwrap());
        }
        ids
    };
    // Proof the worker is claiming meanwhile: an unpaused name runs while export waits.
    let other = client
        .push(InvoiceCommand {
            customer: "globex".into(),
        })
        .await
        .unwrap();
    tokio::time::timeout(DEADLINE, client.wait::<InvoiceCommand>(other))
        .await
        .expect("the unpaused name runs")
        .unwrap();
    shot(&driver, dir, "flow").await;
    driver
        .goto(format!("{base}/commands?name=export&state=pending"))
        .await
        .unwrap();
    for id in &held {
        assert!(
            driver
                .find(By::Css(format!("a[href='/commands/{id}']")))
                .await
                .is_ok(),
            "{id} listed as pending while export is paused"
        );
    }

    driver.goto(format!("{base}/flow")).await.unwrap();
    driver
        .find(By::XPath(name_box))
        .await
        .unwrap()
        .send_keys("export")
        .await
        .unwrap();
    click(
        &driver,
        By::XPath(format!(
            "{name_box}/ancestor::form//button[text()='Resume']"
        )),
    )
    .await;
    eventually("export shown running", || async {
        let t = driver
            .find(By::XPath(status))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (t == "running").then_some(())
    })
    .await;
    eventually("the paused commands to run", || async {
        driver
            .goto(format!("{base}/commands?name=export&state=completed"))
            .await
            .ok()?;
        let mut all = true;
        for id in &held {
            all &= driver
                .find(By::Css(format!("a[href='/commands/{id}']")))
                .await
                .is_ok();
        }
        all.then_some(())
    })
    .await;

    // (c) A workflow step's page draws its workflow; a node opens that step's page.
    let wf_id = {
        let wf = client
            .push_workflow(
                Workflow::new("nightly-export")
                    .step(Step::new("extract", ExportCommand { n: 10 }))
                    .step(Step::new("transform", ExportCommand { n: 20 }).after("extract"))
                    .step(Step::new("load", ExportCommand { n: 30 }).after("transform"))
                    .step(
                        Step::new(
                            "report",
                            InvoiceCommand {
                                customer: "ops".into(),
                            },
                        )
                        .after("extract"),
                    ),
            )
            .await
            .unwrap();
        tokio::time::timeout(DEADLINE, client.wait_workflow(wf.id))
            .await
            .expect("the workflow finishes")
            .unwrap();
        let step = |key: &str| wf.step(key).expect("a step");
        driver
            .goto(format!("{base}/commands/{}", step("transform")))
            .await
            .unwrap();
        let drawn = eventually("the workflow's graph", || async {
            driver
                .find_all(By::Css("#workflow-graph g.node"))
                .await
                .ok()
        })
        .await;
        assert_eq!(drawn.len(), 4, "every step drawn");
        let me = text_now(&driver, "#workflow-graph a.current").await;
        assert!(me.contains("transform"), "{me}");
        if dir.is_some() {
            driver
                .execute(
                    "document.querySelector('#workflow-graph').scrollIntoView({block: 'center'});",
                    Vec::new(),
                )
                .await
                .unwrap();
        }
        shot(&driver, dir, "step").await;
        click(&driver, By::Css("#workflow-graph a.step-parent")).await;
        eventually("the parent step's page", || async {
            let url = driver.current_url().await.ok()?;
            let at = format!("/commands/{}", step("extract"));
            url.as_str().ends_with(&at).then_some(())
        })
        .await;
        wf.id
    };
    if dir.is_some() {
        driver
            .goto(format!("{base}/workflows/{wf_id}"))
            .await
            .unwrap();
        shot(&driver, dir, "workflow").await;
        // Every finished attempt so far: the order, the invoice's failure and its retry, the
        // notification, the globex invoice, four exports and the workflow's four steps.
        // Workers write the per-minute stats as they go, so the chart may lag behind.
        let all = "//tr[th[normalize-space()='All']]/td[last()]";
        eventually("the chart to count every attempt", || async {
            driver.goto(format!("{base}/?hours=1")).await.ok()?;
            let total = driver.find(By::XPath(all)).await.ok()?.text().await.ok()?;
            (total == "13").then_some(())
        })
        .await;
        shot(&driver, dir, "overview").await;
    }

    driver.quit().await.unwrap();
    server.abort();
    instance.shutdown(Duration::from_secs(5)).await.unwrap();
    eprintln!(
        "browser journeys on {:?} in {:?}",
        db.backend,
        started.elapsed()
    );
}
