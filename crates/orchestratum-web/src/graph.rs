//! The command page's two graphs, laid out and drawn on the server as inline SVG (no script):
//! its chain (ancestors up the `parent_id` line, itself, its follow-ups) and, for a workflow
//! step, its workflow. Every node is a link to its command's page and says its state in text,
//! not by colour only.
//!
//! The layout is layered and deterministic: a node's layer is the length of the longest path
//! to it from a root, nodes within a layer are ordered by key, and a layer wider than a row
//! wraps onto the next rows. Edges go from a parent's bottom to a child's top.

use std::collections::{BTreeMap, HashMap, HashSet};

use maud::{Markup, html};
use orchestratum::State;
use uuid::Uuid;

use crate::commands::command_link;
use crate::security::Ctx;

/// Ancestors drawn up the parent line; an older one is drawn as one "…" node.
pub(crate) const ANCESTORS_MAX: usize = 10;
/// Follow-ups drawn; the others are one "+N more" node.
pub(crate) const FOLLOW_UPS_MAX: usize = 20;
/// Nodes a workflow's graph draws at most; the others are one "+N more" node.
pub(crate) const NODES_MAX: usize = 200;
/// A workflow's batch members drawn one by one up to this many; more are one summary node.
pub(crate) const MEMBERS_MAX: usize = 20;

/// A node's size and the space around it, in SVG units (CSS pixels at full size).
const NODE_W: f64 = 200.0;
const NODE_H: f64 = 56.0;
const GAP_X: f64 = 16.0;
const GAP_Y: f64 = 34.0;
const PAD: f64 = 12.0;
/// The widest row, in node widths: a wider layer wraps.
const ROW_UNITS: usize = 5;
/// Characters that fit on a command node's bold first line.
const LINE_CHARS: usize = 24;

/// One command as a graph needs it: a chain's ancestor or follow-up, or a workflow's step.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The command's id.
    pub id: Uuid,
    /// Its command name.
    pub name: String,
    /// Its step key (`None` for a batch member and outside workflows).
    pub key: Option<String>,
    /// Its state.
    pub state: State,
    /// The steps it waits for (workflows only).
    pub parents: Vec<Uuid>,
    /// True for the workflow's failure step: it waits for every step, so it is drawn last
    /// without its edges, which would cross the whole drawing.
    pub failure_step: bool,
}

/// What a node stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// One command: the node links to its page.
    Command(Uuid),
    /// Several commands, or one no longer stored: the node links to `href` if any.
    Summary(Option<String>),
}

/// One box of a graph.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// What it links to.
    pub target: Target,
    /// Its first line (bold): a step key or a command name.
    pub title: String,
    /// Its second line: the name and short id, or what a summary counts.
    pub sub: String,
    /// Its third line: the state in words (or a summary's counts).
    pub status: String,
    /// Its tooltip: the three lines in full.
    pub tooltip: String,
    /// Its CSS state class (`st-completed`, …; `st-summary` for summaries).
    pub class: String,
    /// The link's class, which says how it relates to the current command.
    pub role: &'static str,
    /// True for the command the page is about (or the summary holding it).
    pub current: bool,
    /// Orders the nodes of one layer.
    pub order: String,
    /// Drawn after every other layer (a failure step, a "+N more" of a bounded workflow).
    pub last: bool,
}

/// An edge, by node index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edge {
    /// The parent.
    pub from: usize,
    /// The child.
    pub to: usize,
}

/// Nodes and edges, ready to lay out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The edges between them.
    pub edges: Vec<Edge>,
}

/// Where each node goes.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Each node's top-left corner and width.
    pub boxes: Vec<(f64, f64, f64)>,
    /// Each node's box and the rows of its layer, for the edges.
    places: Vec<Place>,
    /// The drawing's size.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
}

/// `text` cut to `max` characters, with "…" when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if text[i..].chars().nth(1).is_some() => format!("{}…", &text[..i]),
        _ => text.to_owned(),
    }
}

/// The last 8 hex digits of an id: a UUIDv7 starts with its time, so siblings share a prefix.
pub(crate) fn short_id(id: Uuid) -> String {
    let s = id.simple().to_string();
    format!("…{}", &s[s.len() - 8..])
}

/// "N state, M state" in lifecycle order, zeros left out.
fn counts_text(states: impl Iterator<Item = State>) -> String {
    let mut counts = [0usize; State::ALL.len()];
    for s in states {
        if let Some(i) = State::ALL.iter().position(|a| *a == s) {
            counts[i] += 1;
        }
    }
    State::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Node {
    fn command(item: &Item, title: &str, sub: &str, role: &'static str, current: bool) -> Self {
        let status = if current {
            format!("{} · this command", item.state)
        } else {
            item.state.to_string()
        };
        Self {
            target: Target::Command(item.id),
            tooltip: format!("{title} — {sub} — {status}"),
            title: cut(title, LINE_CHARS),
            sub: cut(sub, LINE_CHARS + 6),
            status,
            class: format!("st-{}", item.state),
            role: if current { "current" } else { role },
            current,
            order: String::new(),
            last: false,
        }
    }

    fn summary(title: String, sub: String, status: String, href: Option<String>) -> Self {
        Self {
            target: Target::Summary(href),
            tooltip: [&title, &sub, &status]
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(" — "),
            title,
            sub,
            status,
            class: "st-summary".into(),
            role: "summary",
            current: false,
            order: String::new(),
            last: false,
        }
    }

    fn ordered(mut self, order: String) -> Self {
        self.order = order;
        self
    }

    /// A command node is one width; a summary widens to its longest line (up to three).
    fn width(&self) -> f64 {
        match self.target {
            Target::Command(_) => NODE_W,
            Target::Summary(_) => {
                let chars = [&self.title, &self.sub, &self.status]
                    .iter()
                    .map(|l| l.chars().count())
                    .max()
                    .unwrap_or(0);
                (chars as f64 * 6.6 + 20.0).clamp(NODE_W, 3.0 * NODE_W + 2.0 * GAP_X)
            }
        }
    }
}

impl Graph {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize) {
        let e = Edge { from, to };
        if from != to && !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    /// The chain of `current`: `ancestors` nearest first (`older` when the line goes on past
    /// them), then `current`, then its `follow_ups` in order (at most [`FOLLOW_UPS_MAX`]).
    /// `missing` is a parent id no longer stored, where the line stops.
    pub(crate) fn chain(
        ancestors: &[Item],
        older: bool,
        missing: Option<Uuid>,
        current: &Item,
        follow_ups: &[Item],
    ) -> Self {
        let mut g = Self::default();
        let mut above = None;
        if older {
            above = Some(g.push(Node::summary(
                "…".into(),
                "older ancestors".into(),
                "not drawn".into(),
                None,
            )));
        } else if let Some(id) = missing {
            above = Some(g.push(Node::summary(
                format!("parent {}", short_id(id)),
                "no longer stored".into(),
                "deleted".into(),
                None,
            )));
        }
        for (i, a) in ancestors.iter().enumerate().rev() {
            let role = if i == 0 { "parent" } else { "ancestor" };
            let n = g.push(Node::command(a, &a.name, &short_id(a.id), role, false));
            if let Some(p) = above {
                g.edge(p, n);
            }
            above = Some(n);
        }
        let me = g.push(Node::command(
            current,
            &current.name,
            &short_id(current.id),
            "current",
            true,
        ));
        if let Some(p) = above {
            g.edge(p, me);
        }
        for (i, f) in follow_ups.iter().take(FOLLOW_UPS_MAX).enumerate() {
            let node = Node::command(f, &f.name, &short_id(f.id), "follow-up", false);
            let n = g.push(node.ordered(format!("0{i:06}")));
            g.edge(me, n);
        }
        if follow_ups.len() > FOLLOW_UPS_MAX {
            let rest = &follow_ups[FOLLOW_UPS_MAX..];
            let node = Node::summary(
                format!("+{} more follow-ups", rest.len()),
                "not drawn".into(),
                counts_text(rest.iter().map(|f| f.state)),
                None,
            );
            let n = g.push(node.ordered("1".into()));
            g.edge(me, n);
        }
        g
    }

    /// The workflow of `steps` (in push order) with `current` highlighted. More than
    /// [`MEMBERS_MAX`] batch members are one summary node; past [`NODES_MAX`] nodes, the
    /// first ones by layer and key are drawn (the current one always) and one "+N more".
    /// `workflow_href` is where the summaries link: the workflow's own page.
    pub(crate) fn workflow(steps: &[Item], current: Uuid, workflow_href: &str) -> Self {
        let parents_of_current: HashSet<Uuid> = steps
            .iter()
            .find(|s| s.id == current)
            .map(|s| s.parents.iter().copied().collect())
            .unwrap_or_default();
        let members: Vec<&Item> = steps
            .iter()
            .filter(|s| s.key.is_none() && !s.failure_step)
            .collect();
        let collapse = members.len() > MEMBERS_MAX;
        let mut g = Self::default();
        let mut index: HashMap<Uuid, usize> = HashMap::new();
        if collapse {
            let has_current = members.iter().any(|m| m.id == current);
            let mut node = Node::summary(
                format!("{} members", members.len()),
                if has_current {
                    "this command is one of them".into()
                } else {
                    "of the batch".into()
                },
                counts_text(members.iter().map(|m| m.state)),
                Some(workflow_href.to_owned()),
            );
            node.current = has_current;
            let n = g.push(node.ordered("1".into()));
            for m in &members {
                index.insert(m.id, n);
            }
        }
        for s in steps {
            if collapse && s.key.is_none() && !s.failure_step {
                continue;
            }
            let role = if s.parents.contains(&current) {
                "step-child"
            } else if parents_of_current.contains(&s.id) {
                "step-parent"
            } else {
                "step"
            };
            let (title, order) = match &s.key {
                Some(k) if s.failure_step => (format!("{k} (on failure)"), format!("3{k}")),
                Some(k) => (k.clone(), format!("0{k}")),
                None => (format!("member {}", short_id(s.id)), format!("2{}", s.id)),
            };
            let sub = format!("{} · {}", cut(&s.name, 20), short_id(s.id));
            let mut node = Node::command(s, &title, &sub, role, s.id == current);
            node.last = s.failure_step;
            index.insert(s.id, g.push(node.ordered(order)));
        }
        for s in steps.iter().filter(|s| !s.failure_step) {
            let Some(&to) = index.get(&s.id) else {
                continue;
            };
            for p in &s.parents {
                if let Some(&from) = index.get(p) {
                    g.edge(from, to);
                }
            }
        }
        g.bounded(NODES_MAX, workflow_href)
    }

    /// At most `max` nodes: the first by (layer, order), the current one kept, then one
    /// "+N more" node drawn last.
    fn bounded(self, max: usize, href: &str) -> Self {
        if self.nodes.len() <= max {
            return self;
        }
        let layers = self.layers();
        let mut by_place: Vec<usize> = (0..self.nodes.len()).collect();
        by_place.sort_by(|&a, &b| {
            (layers[a], &self.nodes[a].order, a).cmp(&(layers[b], &self.nodes[b].order, b))
        });
        let mut kept: Vec<usize> = by_place[..max - 1].to_vec();
        if let Some(c) = self.nodes.iter().position(|n| n.current)
            && !kept.contains(&c)
        {
            kept.pop();
            kept.push(c);
        }
        kept.sort_unstable();
        let left: Vec<&Node> = (0..self.nodes.len())
            .filter(|i| kept.binary_search(i).is_err())
            .map(|i| &self.nodes[i])
            .collect();
        let new_index: HashMap<usize, usize> = kept
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        let mut g = Self {
            nodes: kept.iter().map(|&i| self.nodes[i].clone()).collect(),
            edges: self
                .edges
                .iter()
                .filter_map(|e| {
                    Some(Edge {
                        from: *new_index.get(&e.from)?,
                        to: *new_index.get(&e.to)?,
                    })
                })
                .collect(),
        };
        let mut more = Node::summary(
            format!("+{} more steps", left.len()),
            "not drawn: the workflow's page lists every step".into(),
            String::new(),
            Some(href.to_owned()),
        );
        more.last = true;
        g.push(more.ordered("9".into()));
        g
    }

    /// Each node's layer: the longest path to it from a root, in edges. Nodes marked `last`
    /// go one layer below all others; a cycle (not possible in a workflow, and cut off in a
    /// chain) puts its nodes one layer below everything reached.
    pub(crate) fn layers(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let mut indegree = vec![0usize; n];
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &self.edges {
            if e.from < n && e.to < n {
                indegree[e.to] += 1;
                children[e.from].push(e.to);
            }
        }
        let mut layer = vec![0usize; n];
        let mut done = vec![false; n];
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        while let Some(i) = ready.pop() {
            done[i] = true;
            for &c in &children[i] {
                layer[c] = layer[c].max(layer[i] + 1);
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    ready.push(c);
                }
            }
        }
        let reached = (0..n).filter(|&i| done[i]).map(|i| layer[i]).max();
        let below = reached.map_or(0, |m| m + 1);
        for i in 0..n {
            if !done[i] {
                layer[i] = below;
            }
        }
        let deepest = (0..n)
            .filter(|&i| !self.nodes[i].last)
            .map(|i| layer[i])
            .max();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.last {
                layer[i] = deepest.map_or(0, |m| m + 1);
            }
        }
        layer
    }

    /// The layers top to bottom, each as rows of nodes ordered by key and wrapped at
    /// [`ROW_UNITS`] node widths.
    fn rows(&self, layers: &[usize]) -> Vec<Vec<Vec<usize>>> {
        let mut by_layer: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, l) in layers.iter().enumerate() {
            by_layer.entry(*l).or_default().push(i);
        }
        let max_w = ROW_UNITS as f64 * (NODE_W + GAP_X);
        by_layer
            .into_values()
            .map(|mut nodes| {
                nodes.sort_by(|&a, &b| (&self.nodes[a].order, a).cmp(&(&self.nodes[b].order, b)));
                let mut rows = vec![Vec::new()];
                let mut used = 0.0;
                for i in nodes {
                    let w = self.nodes[i].width() + GAP_X;
                    if used + w > max_w && rows.last().is_some_and(|r| !r.is_empty()) {
                        rows.push(Vec::new());
                        used = 0.0;
                    }
                    rows.last_mut().expect("a row").push(i);
                    used += w;
                }
                rows
            })
            .collect()
    }

    /// Where every node goes: a layer of one row is centred; the rows of a wrapped layer
    /// start at one left edge, so their columns line up and edges can run between them.
    pub(crate) fn layout(&self) -> Layout {
        let layers = self.layers();
        let blocks = self.rows(&layers);
        let row_w = |row: &[usize]| {
            row.iter().map(|&i| self.nodes[i].width()).sum::<f64>()
                + GAP_X * row.len().saturating_sub(1) as f64
        };
        let inner = blocks
            .iter()
            .flatten()
            .map(|r| row_w(r))
            .fold(NODE_W, f64::max);
        let mut places = vec![Place::default(); self.nodes.len()];
        let mut y = PAD;
        for rows in &blocks {
            let top = y;
            let bottom = top + rows.len() as f64 * (NODE_H + GAP_Y) - GAP_Y;
            let widest = rows.iter().map(|r| row_w(r)).fold(0.0, f64::max);
            for (r, row) in rows.iter().enumerate() {
                let mut x = PAD + (inner - widest) / 2.0;
                if rows.len() == 1 {
                    x = PAD + (inner - row_w(row)) / 2.0;
                }
                for &i in row {
                    let w = self.nodes[i].width();
                    places[i] = Place {
                        x,
                        y,
                        w,
                        first: r == 0,
                        last: r + 1 == rows.len(),
                        top,
                        bottom,
                    };
                    x += w + GAP_X;
                }
                y += NODE_H + GAP_Y;
            }
        }
        Layout {
            boxes: places.iter().map(|p| (p.x, p.y, p.w)).collect(),
            places,
            width: inner + 2.0 * PAD,
            height: y - GAP_Y + PAD,
        }
    }
}

/// A node's box and the rows of its layer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Place {
    x: f64,
    y: f64,
    w: f64,
    /// In the first row of its layer (nothing of its layer above it).
    first: bool,
    /// In the last row of its layer (nothing of its layer below it).
    last: bool,
    /// The top of its layer's first row.
    top: f64,
    /// The bottom of its layer's last row.
    bottom: f64,
}

impl Layout {
    /// The SVG path of edge `e`: from the parent's bottom to the child's top. Out of a
    /// wrapped layer's upper row, or into a lower row, it runs down the gap between columns
    /// instead of through the boxes of the rows between.
    fn edge_path(&self, e: &Edge) -> String {
        let (p, c) = (self.places[e.from], self.places[e.to]);
        let half = GAP_Y / 2.0;
        let mut d = format!("M{},{}", fmt(p.x + p.w / 2.0), fmt(p.y + NODE_H));
        let mut at = (p.x + p.w / 2.0, p.y + NODE_H);
        if !p.last {
            let lane = p.x + p.w + GAP_X / 2.0;
            d += &format!(
                " L{},{} L{},{} L{},{}",
                fmt(at.0),
                fmt(at.1 + half - 4.0),
                fmt(lane),
                fmt(at.1 + half - 4.0),
                fmt(lane),
                fmt(p.bottom + 6.0)
            );
            at = (lane, p.bottom + 6.0);
        }
        let mut tail = String::new();
        let entry = if c.first {
            (c.x + c.w / 2.0, c.y - 1.0)
        } else {
            let lane = c.x - GAP_X / 2.0;
            tail = format!(
                " L{},{} L{},{} L{},{}",
                fmt(lane),
                fmt(c.y - half + 4.0),
                fmt(c.x + c.w / 2.0),
                fmt(c.y - half + 4.0),
                fmt(c.x + c.w / 2.0),
                fmt(c.y - 1.0)
            );
            (lane, c.top - 6.0)
        };
        let bend = ((entry.1 - at.1) / 2.0).max(8.0);
        d += &format!(
            " C{},{} {},{} {},{}",
            fmt(at.0),
            fmt(at.1 + bend),
            fmt(entry.0),
            fmt(entry.1 - bend),
            fmt(entry.0),
            fmt(entry.1)
        );
        d + &tail
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// The SVG of `g`, its element id `id` and accessible name `label`.
pub(crate) fn svg(ctx: &Ctx, g: &Graph, id: &str, label: &str) -> Markup {
    let layout = g.layout();
    let arrow = format!("{id}-arrow");
    let (w, h) = (layout.width, layout.height);
    html! {
        svg.graph #(id) xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {} {}", fmt(w), fmt(h)))
            width=(fmt(w)) height=(fmt(h)) role="group" aria-label=(label) {
            defs {
                marker #(arrow) viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
                    orient="auto-start-reverse" { path d="M0,0 L10,5 L0,10 z" {} }
            }
            @for e in &g.edges {
                path.edge marker-end=(format!("url(#{arrow})")) d=(layout.edge_path(e)) {}
            }
            @for (i, n) in g.nodes.iter().enumerate() {
                @let (x, y, w) = layout.boxes[i];
                @let href = match &n.target {
                    Target::Command(cid) => Some(command_link(ctx, *cid)),
                    Target::Summary(h) => h.clone(),
                };
                @let body = html! {
                    title { (n.tooltip) }
                    @if n.current {
                        rect.halo x=(fmt(x - 4.0)) y=(fmt(y - 4.0)) width=(fmt(w + 8.0)) height=(fmt(NODE_H + 8.0)) rx="9" {}
                    }
                    rect x=(fmt(x)) y=(fmt(y)) width=(fmt(w)) height=(fmt(NODE_H)) rx="6" {}
                    text.title x=(fmt(x + 10.0)) y=(fmt(y + 18.0)) { (n.title) }
                    text.sub x=(fmt(x + 10.0)) y=(fmt(y + 33.0)) { (n.sub) }
                    text.status x=(fmt(x + 10.0)) y=(fmt(y + 48.0)) { (n.status) }
                };
                @match href {
                    Some(href) => a.(n.role) href=(href) aria-current=[n.current.then_some("page")] {
                        g.node.(n.class).current[n.current] { (body) }
                    },
                    None => g.node.(n.class) { (body) },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn step(n: u128, key: Option<&str>, state: State, parents: &[u128]) -> Item {
        Item {
            id: id(n),
            name: format!("cmd{n}"),
            key: key.map(str::to_owned),
            state,
            parents: parents.iter().map(|p| id(*p)).collect(),
            failure_step: false,
        }
    }

    fn keyed(n: u128, key: &str, parents: &[u128]) -> Item {
        step(n, Some(key), State::Pending, parents)
    }

    /// The layer of the node titled `title`.
    fn layer_of(g: &Graph, layers: &[usize], title: &str) -> usize {
        let i = g.nodes.iter().position(|n| n.title == title).unwrap();
        layers[i]
    }

    #[test]
    fn a_diamond_is_three_layers_ordered_by_key() {
        // Pushed out of key order: the layout orders by key, not push order.
        let steps = [
            keyed(1, "a", &[]),
            keyed(2, "c", &[1]),
            keyed(3, "b", &[1]),
            keyed(4, "d", &[2, 3]),
        ];
        let g = Graph::workflow(&steps, id(3), "/w");
        let layout = g.layout();
        let layers = &g.layers();
        assert_eq!(
            ["a", "b", "c", "d"].map(|k| layer_of(&g, layers, k)),
            [0, 1, 1, 2]
        );
        assert_eq!(g.edges.len(), 4);
        let b = g.nodes.iter().position(|n| n.title == "b").unwrap();
        let c = g.nodes.iter().position(|n| n.title == "c").unwrap();
        assert!(layout.boxes[b].0 < layout.boxes[c].0, "b left of c");
        assert_eq!(layout.boxes[b].1, layout.boxes[c].1, "one row");
        // The current step, its parent and its child are marked.
        assert!(g.nodes[b].current && g.nodes[b].role == "current");
        assert_eq!(g.nodes[0].role, "step-parent");
        assert_eq!(g.nodes[3].role, "step-child");
        assert_eq!(g.nodes[c].role, "step");
    }

    #[test]
    fn longest_path_sets_the_layer() {
        // a → b → c, and a → c directly: c is two layers down, not one.
        let steps = [
            keyed(1, "a", &[]),
            keyed(2, "b", &[1]),
            keyed(3, "c", &[1, 2]),
        ];
        let g = Graph::workflow(&steps, id(1), "/w");
        assert_eq!(g.layers(), vec![0, 1, 2]);
    }

    #[test]
    fn a_chain_is_one_node_per_layer_and_follow_ups_below() {
        let grand = step(1, None, State::Completed, &[]);
        let parent = step(2, None, State::Completed, &[]);
        let me = step(3, None, State::Failed, &[]);
        let kids = [
            step(4, None, State::Pending, &[]),
            step(5, None, State::Canceled, &[]),
        ];
        let g = Graph::chain(&[parent, grand], false, None, &me, &kids);
        let titles: Vec<&str> = g.nodes.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["cmd1", "cmd2", "cmd3", "cmd4", "cmd5"]);
        assert_eq!(g.layers(), vec![0, 1, 2, 3, 3]);
        let roles: Vec<&str> = g.nodes.iter().map(|n| n.role).collect();
        assert_eq!(
            roles,
            ["ancestor", "parent", "current", "follow-up", "follow-up"]
        );
        assert_eq!(g.nodes[2].status, "failed · this command");
        assert_eq!(g.nodes[2].sub, short_id(id(3)));
    }

    #[test]
    fn a_chain_is_bounded_both_ways() {
        let me = step(100, None, State::Completed, &[]);
        let ancestors: Vec<Item> = (0..ANCESTORS_MAX as u128)
            .map(|i| step(i, None, State::Completed, &[]))
            .collect();
        let kids: Vec<Item> = (0..25u128)
            .map(|i| {
                let state = if i < 23 {
                    State::Pending
                } else {
                    State::Failed
                };
                step(200 + i, None, state, &[])
            })
            .collect();
        let g = Graph::chain(&ancestors, true, None, &me, &kids);
        assert_eq!(g.nodes.len(), 1 + ANCESTORS_MAX + 1 + FOLLOW_UPS_MAX + 1);
        assert_eq!(g.nodes[0].title, "…");
        let more = g.nodes.last().unwrap();
        assert_eq!(more.title, "+5 more follow-ups");
        assert_eq!(more.status, "3 pending, 2 failed");
        let layers = g.layers();
        assert_eq!(layers[0], 0);
        assert_eq!(*layers.last().unwrap(), ANCESTORS_MAX + 2);
        // Twenty follow-ups and the "+5" in one layer, wrapped into rows of five.
        let layout = g.layout();
        let rows: HashSet<String> = layout.boxes[ANCESTORS_MAX + 2..]
            .iter()
            .map(|b| fmt(b.1))
            .collect();
        assert!(rows.len() >= 5, "{rows:?}");
        assert!(layout.width <= ROW_UNITS as f64 * (NODE_W + GAP_X) + 2.0 * PAD);
    }

    #[test]
    fn a_deleted_parent_ends_the_line() {
        let me = step(3, None, State::Completed, &[]);
        let g = Graph::chain(&[], false, Some(id(9)), &me, &[]);
        assert_eq!(g.nodes[0].status, "deleted");
        assert_eq!(g.nodes[0].target, Target::Summary(None));
        assert_eq!(g.layers(), vec![0, 1]);
    }

    #[test]
    fn a_big_batch_is_one_summary_node() {
        let mut steps: Vec<Item> = (0..300u128)
            .map(|i| {
                let state = if i % 30 == 0 {
                    State::Failed
                } else {
                    State::Completed
                };
                step(i + 1, None, state, &[])
            })
            .collect();
        steps.push(step(
            1000,
            Some("callback"),
            State::Completed,
            &(1..=300).collect::<Vec<_>>(),
        ));
        let g = Graph::workflow(&steps, id(7), "/workflows/w");
        assert_eq!(g.nodes.len(), 2);
        let summary = &g.nodes[0];
        assert_eq!(summary.title, "300 members");
        assert_eq!(summary.status, "290 completed, 10 failed");
        assert!(summary.current, "the current member is in it");
        assert_eq!(summary.target, Target::Summary(Some("/workflows/w".into())));
        assert_eq!(g.edges, vec![Edge { from: 0, to: 1 }]);
        assert_eq!(g.layers(), vec![0, 1]);
    }

    #[test]
    fn a_small_batch_draws_every_member() {
        let mut steps: Vec<Item> = (1..=MEMBERS_MAX as u128)
            .map(|i| step(i, None, State::Completed, &[]))
            .collect();
        let all: Vec<u128> = (1..=MEMBERS_MAX as u128).collect();
        steps.push(step(1000, Some("callback"), State::Pending, &all));
        let g = Graph::workflow(&steps, id(1000), "/w");
        assert_eq!(g.nodes.len(), MEMBERS_MAX + 1);
        assert_eq!(g.edges.len(), MEMBERS_MAX);
        assert!(g.nodes[0].title.starts_with("member …"));
    }

    #[test]
    fn a_big_workflow_is_bounded_and_keeps_the_current_step() {
        // 250 keyed steps in a line: the first 199 by layer, the current (the last), "+50".
        let steps: Vec<Item> = (0..250u128)
            .map(|i| {
                let parents: Vec<u128> = if i == 0 { vec![] } else { vec![i - 1] };
                keyed(i, &format!("s{i:03}"), &parents)
            })
            .collect();
        let g = Graph::workflow(&steps, id(249), "/w");
        assert_eq!(g.nodes.len(), NODES_MAX);
        assert!(g.nodes.iter().any(|n| n.current && n.title == "s249"));
        let more = g.nodes.last().unwrap();
        assert_eq!(more.title, "+51 more steps");
        assert!(more.last);
        let layers = g.layers();
        assert_eq!(
            *layers.last().unwrap(),
            layers[..layers.len() - 1].iter().max().unwrap() + 1
        );
        assert!(
            g.edges
                .iter()
                .all(|e| e.from < g.nodes.len() && e.to < g.nodes.len())
        );
    }

    #[test]
    fn a_failure_step_goes_last_without_edges() {
        // It waits for every step: a, b and c (a root drawn beside a).
        let mut f = keyed(9, "alert", &[1, 2, 3]);
        f.failure_step = true;
        let steps = [
            keyed(1, "a", &[]),
            keyed(2, "b", &[1]),
            keyed(3, "c", &[]),
            f,
        ];
        let g = Graph::workflow(&steps, id(1), "/w");
        assert_eq!(g.layers(), vec![0, 1, 0, 2]);
        assert_eq!(g.nodes[3].title, "alert (on failure)");
        assert_eq!(g.edges, vec![Edge { from: 0, to: 1 }]);
    }

    #[test]
    fn a_cycle_does_not_hang() {
        let steps = [keyed(1, "a", &[2]), keyed(2, "b", &[1]), keyed(3, "c", &[])];
        let g = Graph::workflow(&steps, id(3), "/w");
        let layers = g.layers();
        assert_eq!(layers, vec![1, 1, 0]);
        let _ = g.layout();
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("ééééé", 4), "ééé…");
    }
}
