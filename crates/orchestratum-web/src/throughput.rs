//! The Overview's throughput chart: outcomes per minute from the stats table (which pruning
//! of commands leaves alone), drawn as an inline SVG, with a table of the totals that says
//! the same to a reader without it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use orchestratum::{StatsBucket, StatsOutcome};
use serde::Serialize;

use crate::security::Ctx;

/// The windows offered, in hours.
pub(crate) const HOURS: [u32; 3] = [1, 6, 24];
/// The window shown when the query names none.
pub(crate) const HOURS_DEFAULT: u32 = 6;

/// The chart's drawing area, in SVG units.
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 22.0;

/// Outcomes per minute over a window, and their totals by name.
pub(crate) struct Throughput {
    /// The window, in hours.
    pub hours: u32,
    /// The one command name shown, if the page asked for one.
    pub name: Option<String>,
    /// The first minute of the window.
    pub start: DateTime<Utc>,
    /// Counts per minute of the window, oldest first, in [`StatsOutcome::ALL`] order; a
    /// minute without a bucket counts zero.
    pub minutes: Vec<[u64; 4]>,
    /// Totals over the window by name.
    pub by_name: BTreeMap<String, [u64; 4]>,
    /// Totals over the window.
    pub total: [u64; 4],
}

/// Minutes since the Unix epoch of `t`.
fn minute(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

fn slot(outcome: StatsOutcome) -> usize {
    StatsOutcome::ALL
        .iter()
        .position(|o| *o == outcome)
        .unwrap_or(0)
}

/// The first minute of the `hours` window that ends with the minute holding `now`.
pub(crate) fn window_start(now: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
    let first = minute(now) - i64::from(hours) * 60 + 1;
    DateTime::from_timestamp(first * 60, 0).unwrap_or(now)
}

impl Throughput {
    /// Sorts `buckets` (read from [`window_start`] on) into the window's minutes; buckets
    /// after the minute of `now` (a counting worker's clock ahead of ours) are left out.
    pub(crate) fn new(
        buckets: &[StatsBucket],
        now: DateTime<Utc>,
        hours: u32,
        name: Option<String>,
    ) -> Self {
        let start = window_start(now, hours);
        let first = minute(start);
        let len = usize::try_from(hours).unwrap_or(1) * 60;
        let mut minutes = vec![[0u64; 4]; len];
        let mut by_name: BTreeMap<String, [u64; 4]> = BTreeMap::new();
        let mut total = [0u64; 4];
        for b in buckets {
            let Ok(i) = usize::try_from(minute(b.minute) - first) else {
                continue;
            };
            let Some(m) = minutes.get_mut(i) else {
                continue;
            };
            let k = slot(b.outcome);
            m[k] += b.count;
            by_name.entry(b.name.clone()).or_default()[k] += b.count;
            total[k] += b.count;
        }
        Self {
            hours,
            name,
            start,
            minutes,
            by_name,
            total,
        }
    }

    fn title(&self) -> String {
        match &self.name {
            Some(name) => format!("Outcomes per minute of {name}, last {} h", self.hours),
            None => format!("Outcomes per minute, last {} h", self.hours),
        }
    }
}

/// The query string of the overview for this window and name.
#[derive(Serialize)]
struct Window<'a> {
    hours: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

fn query(hours: u32, name: Option<&str>) -> String {
    serde_urlencoded::to_string(Window { hours, name }).unwrap_or_default()
}

/// The URL of the chart's fragment, for the live refresh.
pub(crate) fn live_url(ctx: &Ctx, hours: u32, name: Option<&str>) -> String {
    format!("{}?{}", ctx.link("/live/throughput"), query(hours, name))
}

fn sum(counts: &[u64; 4]) -> u64 {
    counts.iter().sum()
}

/// The chart, its window choice and the totals table: the part the script refreshes.
pub(crate) fn section(ctx: &Ctx, t: &Throughput) -> Markup {
    let name = t.name.as_deref();
    html! {
        p.windows {
            "Window: "
            @for h in HOURS {
                @if h == t.hours {
                    a href=(format!("{}?{}", ctx.link("/"), query(h, name))) aria-current="true" { (h) " h" }
                } @else {
                    a href=(format!("{}?{}", ctx.link("/"), query(h, name))) { (h) " h" }
                }
                " "
            }
            @if let Some(n) = name {
                " · only " strong { (n) } " · "
                a href=(format!("{}?{}", ctx.link("/"), query(t.hours, None))) { "every name" }
            }
        }
        (svg(t))
        table.throughput {
            caption { "Totals over the last " (t.hours) " h" }
            tr {
                th { "Name" }
                @for o in StatsOutcome::ALL { th { span.(format!("swatch out-{}", o.as_str())) {} (o.as_str()) } }
                th { "total" }
            }
            @for (n, counts) in &t.by_name {
                tr data-name=(n) {
                    td { a href=(format!("{}?{}", ctx.link("/"), query(t.hours, Some(n)))) { (n) } }
                    @for (i, o) in StatsOutcome::ALL.iter().enumerate() {
                        td.num data-outcome=(o.as_str()) { (counts[i]) }
                    }
                    td.num { (sum(counts)) }
                }
            }
            tr data-name="" {
                th { "All" }
                @for (i, o) in StatsOutcome::ALL.iter().enumerate() {
                    td.num data-outcome=(o.as_str()) { (t.total[i]) }
                }
                td.num { (sum(&t.total)) }
            }
        }
    }
}

/// Stacked bars, one per minute, the outcomes in [`StatsOutcome::ALL`] order from the bottom.
fn svg(t: &Throughput) -> Markup {
    let peak = t.minutes.iter().map(sum).max().unwrap_or(0).max(1);
    let plot_w = WIDTH - LEFT - 4.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bar = plot_w / t.minutes.len().max(1) as f64;
    let scale = plot_h / peak as f64;
    let base = TOP + plot_h;
    let end = at(t.start, t.minutes.len().saturating_sub(1));
    let totals = StatsOutcome::ALL
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{} {}", t.total[i], o.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-labelledby="throughput-title throughput-desc" xmlns="http://www.w3.org/2000/svg" {
            title #throughput-title { (t.title()) }
            desc #throughput-desc {
                "From " (t.start.format("%Y-%m-%d %H:%M")) " to " (end.format("%Y-%m-%d %H:%M UTC")) ": " (totals)
                "; at most " (peak) " in one minute."
            }
            line.axis x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(base) {}
            line.axis x1=(LEFT) y1=(base) x2=(WIDTH - 4.0) y2=(base) {}
            text.label x=(LEFT - 4.0) y=(TOP + 10.0) text-anchor="end" { (peak) }
            text.label x=(LEFT - 4.0) y=(base) text-anchor="end" { "0" }
            text.label x=(LEFT) y=(HEIGHT - 6.0) { (t.start.format("%m-%d %H:%M")) }
            text.label x=(WIDTH - 4.0) y=(HEIGHT - 6.0) text-anchor="end" { (end.format("%m-%d %H:%M UTC")) }
            @for (i, counts) in t.minutes.iter().enumerate() {
                @if sum(counts) > 0 {
                    g {
                        title { (minute_label(t.start, i, counts)) }
                        @for (k, y, h) in stack(counts, base, scale) {
                            rect.(format!("out-{}", StatsOutcome::ALL[k].as_str()))
                                x=(fmt(LEFT + i as f64 * bar)) y=(fmt(y))
                                width=(fmt(bar.max(0.5))) height=(fmt(h)) {}
                        }
                    }
                }
            }
        }
    }
}

/// Each nonzero outcome's (index, top, height), stacked upwards from `base`.
fn stack(counts: &[u64; 4], base: f64, scale: f64) -> Vec<(usize, f64, f64)> {
    let mut top = base;
    let mut out = Vec::new();
    for (k, &n) in counts.iter().enumerate() {
        if n > 0 {
            let h = n as f64 * scale;
            top -= h;
            out.push((k, top, h));
        }
    }
    out
}

fn minute_label(start: DateTime<Utc>, i: usize, counts: &[u64; 4]) -> String {
    let when = at(start, i);
    let parts = StatsOutcome::ALL
        .iter()
        .enumerate()
        .filter(|(k, _)| counts[*k] > 0)
        .map(|(k, o)| format!("{} {}", counts[k], o.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{}: {parts}", when.format("%m-%d %H:%M"))
}

/// The start of the window's `i`th minute.
fn at(start: DateTime<Utc>, i: usize) -> DateTime<Utc> {
    start + chrono::Duration::minutes(i64::try_from(i).unwrap_or(0))
}

fn fmt(v: f64) -> String {
    format!("{v:.2}")
}
