//! The operators' search, deletion and bulk actions (a dashboard's commands pages, the CLI's
//! `list --after`, `delete` and bulk forms): keyset pages, each filter, LIKE wildcards taken
//! literally, what a delete refuses, and bulk actions that change exactly what they select.

use std::time::Duration;

use chrono::Utc;
use orchestratum::admin::{Admin, Cursor, DeleteRefusal, SearchFilter, Selection};
use orchestratum::{Error, Push, State, Step, Workflow};
use uuid::Uuid;

use crate::support::{Backend, TestDb};

/// Pushes a command by name with raw JSON input (no handler anywhere: it stays pending).
async fn push(admin: &Admin, name: &str, input: &str) -> Uuid {
    admin.push(name, input, Push::new()).await.unwrap()
}

/// Ends a command in `state` (failed or canceled) with `error` as its last error, as a worker
/// would leave it, without running a worker.
async fn finish(db: &TestDb, id: Uuid, state: State, error: &str) {
    let flag = match state {
        State::Failed => "failed",
        State::Canceled => "canceled",
        _ => "completed",
    };
    let now = match db.backend {
        Backend::Postgres => "now()",
        Backend::Sqlite => "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
        #[cfg(feature = "mysql")]
        Backend::Mysql => "UTC_TIMESTAMP(6)",
    };
    let truth = if db.backend == Backend::Sqlite {
        "1"
    } else {
        "true"
    };
    db.exec(&format!(
        "UPDATE {} SET is_{flag} = {truth}, {flag}_at = {now}, last_error = '{error}' WHERE id = {}",
        db.table(),
        db.id_literal(id)
    ))
    .await;
}

/// Marks a command as running under a lease that lasts another hour.
async fn lease(db: &TestDb, id: Uuid) {
    let (truth, later) = match db.backend {
        Backend::Postgres => ("true", "now() + interval '1 hour'"),
        Backend::Sqlite => ("1", "'2999-01-01 00:00:00.000+00:00'"),
        #[cfg(feature = "mysql")]
        Backend::Mysql => ("TRUE", "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR"),
    };
    db.exec(&format!(
        "UPDATE {} SET is_running = {truth}, run_expires_at = {later}, attempt = 1 WHERE id = {}",
        db.table(),
        db.id_literal(id)
    ))
    .await;
}

fn ids(rows: &[orchestratum::CommandRecord]) -> Vec<Uuid> {
    rows.iter().map(|r| r.id).collect()
}

/// Every id matching `filter`, page by page of `size`, checking each cursor round-trips.
async fn all_pages(admin: &Admin, filter: &SearchFilter, size: usize) -> Vec<Uuid> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = admin.search(filter, after, size).await.unwrap();
        assert!(page.rows.len() <= size);
        seen.extend(ids(&page.rows));
        match page.next {
            Some(next) => {
                assert_eq!(page.rows.len(), size, "a page before the last is full");
                after = Some(next.to_string().parse::<Cursor>().unwrap());
            }
            None => return seen,
        }
    }
}

pub async fn search_pages_newest_first_and_filters(db: TestDb) {
    let client = db.client().await;
    let admin = client.admin();
    let start = Utc::now() - chrono::Duration::seconds(1);
    let mut pushed = Vec::new();
    for n in 0..7 {
        pushed.push(push(&admin, "simple", &format!("{{\"n\":{n}}}")).await);
    }
    let percent = push(&admin, "mail", r#"{"subject":"50% off_now"}"#).await;
    let near = push(&admin, "mail", r#"{"subject":"50 X offXnow"}"#).await;
    let elsewhere = admin
        .push("simple", "{}", Push::new().target("elsewhere"))
        .await
        .unwrap();
    let later = admin
        .push("simple", "{}", Push::new().delay(Duration::from_secs(3600)))
        .await
        .unwrap();
    finish(&db, pushed[2], State::Failed, "boom: disk FULL").await;
    let mut every: Vec<Uuid> = pushed.clone();
    every.extend([percent, near, elsewhere, later]);
    every.reverse();

    // Pages of 3 return every row once, newest id first; then every page size agrees.
    let any = SearchFilter::default();
    assert_eq!(all_pages(&admin, &any, 3).await, every);
    assert_eq!(all_pages(&admin, &any, 1).await, every);
    let whole = admin.search(&any, None, 100).await.unwrap();
    assert_eq!(ids(&whole.rows), every);
    assert!(whole.next.is_none());

    // Each filter.
    let only = |f: SearchFilter| {
        let admin = admin.clone();
        async move { ids(&admin.search(&f, None, 100).await.unwrap().rows) }
    };
    let state = |s| SearchFilter {
        state: Some(s),
        ..Default::default()
    };
    assert_eq!(only(state(State::Failed)).await, vec![pushed[2]]);
    assert_eq!(only(state(State::Scheduled)).await, vec![later]);
    assert_eq!(only(state(State::Pending)).await.len(), 9);
    let named = SearchFilter {
        name: Some("mail".into()),
        ..Default::default()
    };
    assert_eq!(only(named).await, vec![near, percent]);
    let target = SearchFilter {
        target: Some("elsewhere".into()),
        ..Default::default()
    };
    assert_eq!(only(target).await, vec![elsewhere]);
    let exact = SearchFilter {
        id: Some(pushed[4]),
        ..Default::default()
    };
    assert_eq!(only(exact).await, vec![pushed[4]]);
    let scheduled_late = SearchFilter {
        scheduled_from: Some(Utc::now() + chrono::Duration::seconds(60)),
        ..Default::default()
    };
    assert_eq!(only(scheduled_late).await, vec![later]);
    let scheduled_now = SearchFilter {
        scheduled_until: Some(Utc::now() + chrono::Duration::seconds(60)),
        ..Default::default()
    };
    assert_eq!(only(scheduled_now).await.len(), every.len() - 1);
    let created = SearchFilter {
        created_from: Some(start),
        created_until: Some(Utc::now() + chrono::Duration::seconds(1)),
        ..Default::default()
    };
    assert_eq!(only(created).await, every);
    let created_later = SearchFilter {
        created_from: Some(Utc::now() + chrono::Duration::seconds(1)),
        ..Default::default()
    };
    assert!(only(created_later).await.is_empty());

    // Text in the input or the last error, `%` and `_` taken literally, ASCII case ignored.
    let text = |t: &str| SearchFilter {
        text: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(only(text("50% off_")).await, vec![percent]);
    assert_eq!(only(text("% OFF")).await, vec![percent]);
    assert_eq!(only(text("disk full")).await, vec![pushed[2]]);
    assert_eq!(only(text("\"n\":5")).await, vec![pushed[5]]);
    assert!(only(text("_X")).await.is_empty());

    // Filters combine, and page across pages too.
    let combined = SearchFilter {
        name: Some("simple".into()),
        state: Some(State::Pending),
        ..Default::default()
    };
    let mut expected: Vec<Uuid> = pushed
        .iter()
        .copied()
        .filter(|&id| id != pushed[2])
        .collect();
    expected.push(elsewhere);
    expected.sort();
    expected.reverse();
    assert_eq!(all_pages(&admin, &combined, 2).await, expected);

    // A bad cursor or page size is a typed error.
    let plain_id = pushed[0].to_string();
    for bad in ["", "nonsense", "k1xyz", plain_id.as_str()] {
        assert!(
            matches!(bad.parse::<Cursor>(), Err(Error::InvalidCursor(_))),
            "{bad:?}"
        );
    }
    for size in [0, orchestratum::admin::SEARCH_LIMIT_MAX + 1] {
        assert!(matches!(
            admin.search(&any, None, size).await,
            Err(Error::InvalidFilter(_))
        ));
    }
}

/// Every page of `filter` in pages of `size`: the ids, and each page's row count and where
/// its scan stopped (checking that a stopped page continues below its last row examined).
async fn budgeted_pages(
    admin: &Admin,
    filter: &SearchFilter,
    size: usize,
) -> (Vec<Uuid>, Vec<(usize, Option<Uuid>)>) {
    let (mut seen, mut pages) = (Vec::new(), Vec::new());
    let mut after = None;
    loop {
        let page = admin.search(filter, after, size).await.unwrap();
        assert!(page.rows.len() <= size);
        seen.extend(ids(&page.rows));
        let stop = page.scan_stopped.map(|s| s.last_id);
        pages.push((page.rows.len(), stop));
        match page.next {
            Some(next) => {
                if let Some(s) = page.scan_stopped {
                    assert_eq!(s.rows, filter.scan_budget.unwrap());
                    assert!(seen.iter().all(|&id| id >= s.last_id));
                    let created = s.created_at().expect("a UUIDv7 edge has a time");
                    assert!(created <= Utc::now());
                }
                after = Some(next.to_string().parse::<Cursor>().unwrap());
            }
            None => {
                assert!(stop.is_none(), "a stopped scan always has a next page");
                return (seen, pages);
            }
        }
    }
}

pub async fn text_search_examines_its_scan_budget_and_continues_below_it(db: TestDb) {
    let client = db.client().await;
    let admin = client.admin();
    // Ten commands, oldest first; `needle` in c0, c4, c5 and (in the last error) c8.
    let mut c = Vec::new();
    for n in 0..10 {
        let input = if [0, 4, 5].contains(&n) {
            format!(r#"{{"n":{n},"note":"a NEEDLE"}}"#)
        } else {
            format!(r#"{{"n":{n}}}"#)
        };
        let name = if n == 5 { "other" } else { "simple" };
        c.push(push(&admin, name, &input).await);
    }
    finish(&db, c[8], State::Failed, "needle in the stack").await;
    let needle = |budget: usize| SearchFilter {
        text: Some("needle".into()),
        scan_budget: Some(budget),
        ..Default::default()
    };

    // Three rows a page, two matches a page: c9..c7 hold c8, c6..c4 hold c5 and c4 (a
    // full page, yet the scan stopped: it continues below c4, not from its last match), c3..c1
    // hold nothing (an empty page that still continues), and c0 ends the table.
    let first = admin.search(&needle(3), None, 2).await.unwrap();
    assert_eq!(ids(&first.rows), vec![c[8]]);
    assert!(!ids(&first.rows).contains(&c[0]), "older than the budget");
    let stop = first.scan_stopped.expect("the scan stopped");
    assert_eq!((stop.rows, stop.last_id), (3, c[7]));
    let (found, pages) = budgeted_pages(&admin, &needle(3), 2).await;
    assert_eq!(found, vec![c[8], c[5], c[4], c[0]]);
    assert_eq!(
        pages,
        vec![(1, Some(c[7])), (2, Some(c[4])), (0, Some(c[1])), (1, None)]
    );

    // Every budget and page size finds every match once, in order; a page that fills
    // before its budget continues from its last row, as an unbounded search does.
    for budget in 1..=11 {
        for size in 1..=3 {
            let (found, pages) = budgeted_pages(&admin, &needle(budget), size).await;
            assert_eq!(
                found,
                vec![c[8], c[5], c[4], c[0]],
                "budget {budget}, size {size}"
            );
            if budget >= 10 {
                assert!(pages.iter().all(|(_, stop)| stop.is_none()), "{pages:?}");
            }
        }
    }
    // A budget of exactly the rows left does not stop: nothing older remains.
    let whole = admin.search(&needle(10), None, 10).await.unwrap();
    assert_eq!(
        (whole.rows.len(), whole.scan_stopped, whole.next),
        (4, None, None)
    );

    // The other filters narrow the matches inside the scanned rows: rows of other names
    // count toward the budget all the same.
    let simple = SearchFilter {
        name: Some("simple".into()),
        ..needle(3)
    };
    let (found, pages) = budgeted_pages(&admin, &simple, 2).await;
    assert_eq!(found, vec![c[8], c[4], c[0]]);
    assert_eq!(pages.len(), 4, "{pages:?}");
    // A cursor bounds the scan too: from below c6 (a plain page of c9..c6 ends there), the
    // budget covers c5..c3.
    let plain = admin
        .search(&SearchFilter::default(), None, 4)
        .await
        .unwrap();
    assert_eq!(plain.rows.last().map(|r| r.id), Some(c[6]));
    let below = admin.search(&needle(3), plain.next, 5).await.unwrap();
    assert_eq!(ids(&below.rows), vec![c[5], c[4]]);
    assert_eq!(below.scan_stopped.map(|s| s.last_id), Some(c[3]));

    // Bulk actions on a budgeted filter still act on exactly the matching rows.
    let report = admin
        .delete_all(&Selection::Matching(needle(2)))
        .await
        .unwrap();
    assert_eq!((report.changed, report.skipped), (4, 0));
    let left = admin
        .search(&SearchFilter::default(), None, 20)
        .await
        .unwrap();
    let mut kept: Vec<Uuid> = [1, 2, 3, 6, 7, 9].iter().map(|&n| c[n]).collect();
    kept.reverse();
    assert_eq!(ids(&left.rows), kept);

    // Without text, or with an id, no budget applies; a budget out of range is typed.
    let plain = SearchFilter {
        scan_budget: Some(1),
        ..Default::default()
    };
    let all = admin.search(&plain, None, 20).await.unwrap();
    assert_eq!((all.rows.len(), all.scan_stopped), (6, None));
    for bad in [0, orchestratum::admin::SEARCH_SCAN_MAX + 1] {
        assert!(matches!(
            admin.search(&needle(bad), None, 2).await,
            Err(Error::InvalidFilter(_))
        ));
    }
}

pub async fn text_search_windows_add_up_to_its_budget(db: TestDb) {
    let client = db.client().await;
    let admin = client.admin();
    // 2,500 rows; `"n":24` is in the newest hundred (2400..=2499), in 240..=249 and in 24.
    let pushed = client
        .push_many((0..2500).map(|n| crate::support::commands::SimpleCommand { n }))
        .await
        .unwrap();
    let mut expected: Vec<Uuid> = pushed
        .iter()
        .enumerate()
        .filter(|(n, _)| (2400..2500).contains(n) || (240..250).contains(n) || *n == 24)
        .map(|(_, &id)| id)
        .collect();
    expected.sort();
    expected.reverse();
    let mut by_age = pushed.clone();
    by_age.sort();
    by_age.reverse();
    let text = |budget| SearchFilter {
        text: Some("\"n\":24".into()),
        scan_budget: Some(budget),
        ..Default::default()
    };

    // A budget of 2,200 is a first window of 1,000 rows and a second of 1,200 (less than 4,000): the first
    // page of 200 holds the newest hundred and stops at the 2,200th row; the next finds the
    // rest below it.
    let (found, pages) = budgeted_pages(&admin, &text(2200), 200).await;
    assert_eq!(found, expected);
    assert_eq!(pages, vec![(100, Some(by_age[2199])), (11, None)]);
    // A page that fills in its first window continues from its last row, then stops at
    // the budget counted from there.
    let (found, pages) = budgeted_pages(&admin, &text(2200), 50).await;
    assert_eq!(found, expected);
    assert_eq!(
        pages,
        vec![(50, None), (50, Some(by_age[2249])), (11, None)]
    );
    // The default budget covers the whole table: one page, no stop.
    let whole = admin
        .search(
            &SearchFilter {
                scan_budget: None,
                ..text(1)
            },
            None,
            1000,
        )
        .await
        .unwrap();
    assert_eq!(
        (ids(&whole.rows), whole.scan_stopped, whole.next),
        (expected, None, None)
    );
}

pub async fn delete_refuses_running_and_depended_on_steps(db: TestDb) {
    let client = db.client().await;
    let admin = client.admin();
    let pending = push(&admin, "simple", "{}").await;
    let failed = push(&admin, "simple", "{}").await;
    let running = push(&admin, "simple", "{}").await;
    finish(&db, failed, State::Failed, "boom").await;
    lease(&db, running).await;
    let wf = client
        .push_workflow(
            Workflow::new("pair")
                .step(Step::new(
                    "a",
                    crate::support::commands::SimpleCommand { n: 1 },
                ))
                .step(Step::new("b", crate::support::commands::SimpleCommand { n: 2 }).after("a")),
        )
        .await
        .unwrap();
    let info = client.workflow(wf.id).await.unwrap();
    let step = |key: &str| {
        info.steps
            .iter()
            .find(|s| s.key.as_deref() == Some(key))
            .unwrap()
            .command
            .id
    };
    let (a, b) = (step("a"), step("b"));

    let refused = |r: orchestratum::Result<()>| match r {
        Err(Error::DeleteRefused { reason, .. }) => reason,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(refused(admin.delete(running).await), DeleteRefusal::Running);
    assert_eq!(refused(admin.delete(a).await), DeleteRefusal::WaitedOn(1));
    assert_eq!(refused(admin.delete(b).await), DeleteRefusal::WaitingOn(1));
    let message = admin.delete(running).await.unwrap_err().to_string();
    assert!(message.contains("live lease"), "{message}");
    for kept in [running, a, b] {
        assert!(client.store().get(kept).await.unwrap().is_some());
    }

    // Pending and finished commands go, with their attempts; an unknown id is NotFound.
    admin.delete(pending).await.unwrap();
    admin.delete(failed).await.unwrap();
    for gone in [pending, failed] {
        assert!(client.store().get(gone).await.unwrap().is_none());
    }
    assert!(matches!(admin.delete(pending).await, Err(Error::NotFound(id)) if id == pending));

    // Once its dependant is finished, the parent step can go too.
    finish(&db, b, State::Canceled, "canceled").await;
    admin.delete(a).await.unwrap();
    admin.delete(b).await.unwrap();
}

pub async fn bulk_actions_change_exactly_the_selection(db: TestDb) {
    let client = db.client().await;
    let admin = client.admin();
    let mut failed = Vec::new();
    for n in 0..3 {
        let id = push(&admin, "job", &format!("{{\"n\":{n}}}")).await;
        finish(&db, id, State::Failed, "boom").await;
        failed.push(id);
    }
    let canceled = push(&admin, "job", "{}").await;
    finish(&db, canceled, State::Canceled, "canceled").await;
    let pending = push(&admin, "job", "{}").await;
    let other = push(&admin, "other", "{}").await;
    finish(&db, other, State::Failed, "boom").await;
    let running = push(&admin, "job", "{}").await;
    lease(&db, running).await;

    // Retry by filter: every failed or canceled `job`, the others skipped.
    let jobs = Selection::Matching(SearchFilter {
        name: Some("job".into()),
        ..Default::default()
    });
    let report = admin.retry_all(&jobs).await.unwrap();
    assert_eq!((report.changed, report.skipped), (4, 2));
    for &id in failed.iter().chain([&canceled, &pending]) {
        assert_eq!(client.get(id).await.unwrap().state(), State::Pending);
    }
    assert_eq!(client.get(other).await.unwrap().state(), State::Failed);

    // Cancel by ids: the unfinished ones are asked, the finished and the unknown skipped.
    let picked = Selection::Ids(vec![failed[0], running, other, Uuid::now_v7()]);
    let report = admin.cancel_all(&picked).await.unwrap();
    assert_eq!((report.changed, report.skipped), (2, 2));
    for id in [failed[0], running] {
        assert!(client.get(id).await.unwrap().cancel_requested_at.is_some());
    }
    assert!(
        client
            .get(other)
            .await
            .unwrap()
            .cancel_requested_at
            .is_none()
    );
    assert!(
        client
            .get(failed[1])
            .await
            .unwrap()
            .cancel_requested_at
            .is_none()
    );

    // Retry by ids: the failed one, not the pending or the unknown one.
    let picked = Selection::Ids(vec![other, pending, Uuid::now_v7()]);
    let report = admin.retry_all(&picked).await.unwrap();
    assert_eq!((report.changed, report.skipped), (1, 2));
    assert_eq!(client.get(other).await.unwrap().state(), State::Pending);

    // Delete by ids: the running one is refused and counted as skipped.
    let picked = Selection::Ids(vec![running, other]);
    let report = admin.delete_all(&picked).await.unwrap();
    assert_eq!((report.changed, report.skipped), (1, 1));

    // Delete by filter: everything but the running one goes.
    let everything = Selection::Matching(SearchFilter::default());
    let report = admin.delete_all(&everything).await.unwrap();
    assert_eq!((report.changed, report.skipped), (5, 1));
    let left = admin
        .search(&SearchFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(ids(&left.rows), vec![running]);
}
