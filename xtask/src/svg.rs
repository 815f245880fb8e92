//! Pictures, written by hand as SVG: a timeline of a downloader's requests (the article's
//! diagrams of its threading, asyncio and multiprocessing versions, drawn from what really
//! happened), a bar chart of wall times, and a line chart for the sweep.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use stand_in::server::{LoggedRequest, Outcome, max_in_flight};

const WIDTH: f64 = 900.0;
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";

/// An SVG document being written.
struct Svg {
    body: String,
    width: f64,
    height: f64,
}

impl Svg {
    fn new(width: f64, height: f64) -> Svg {
        Svg {
            body: String::new(),
            width,
            height,
        }
    }

    fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str, tooltip: Option<&str>) {
        let _ = write!(
            self.body,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{height:.1}\" fill=\"{fill}\"",
            width.max(0.5)
        );
        match tooltip {
            Some(text) => {
                let _ = writeln!(self.body, "><title>{}</title></rect>", escape(text));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\"/>"
        );
    }

    /// Text anchored at `anchor` ("start", "middle" or "end").
    fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        let _ = writeln!(
            self.body,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" {FONT}>{}</text>",
            escape(text)
        );
    }

    fn title(&mut self, text: &str) {
        let _ = writeln!(
            self.body,
            "<text x=\"10\" y=\"20\" font-family=\"sans-serif\" font-size=\"15\" font-weight=\"bold\">{}</text>",
            escape(text)
        );
    }

    fn finish(self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height.ceil(),
        )
    }
}

/// Escapes the characters XML gives a meaning to.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A round step for about `ticks` ticks over `range`: 1, 2 or 5 times a power of ten.
pub fn tick_step(range: f64, ticks: f64) -> f64 {
    let raw = (range / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|&m| m * magnitude >= raw)
        .unwrap_or(10.0);
    step * magnitude
}

/// The lane of each request: one lane per connection, numbered in the order the connections
/// carried their first request.
pub fn lanes(requests: &[LoggedRequest]) -> (Vec<usize>, usize) {
    let mut order: Vec<&LoggedRequest> = requests.iter().collect();
    order.sort_by_key(|r| r.start);
    let mut lane_of: HashMap<u64, usize> = HashMap::new();
    for request in order {
        let next = lane_of.len();
        lane_of.entry(request.connection).or_insert(next);
    }
    let lanes = requests.iter().map(|r| lane_of[&r.connection]).collect();
    (lanes, lane_of.len())
}

fn outcome_colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "#4878a8",
        Outcome::Slow => "#e0a030",
        Outcome::Error => "#d04040",
        Outcome::Dropped => "#202020",
        Outcome::NotFound => "#909090",
        Outcome::Abandoned => "#a060c0",
    }
}

/// A timeline of one run: a lane per connection, a bar per request, time running right from
/// the run's `start` to its `end` (both counted from the stand-in's epoch).
pub fn timeline(title: &str, requests: &[LoggedRequest], start: Duration, end: Duration) -> String {
    let (lane_of, lane_count) = lanes(requests);
    let lane_height = (600.0 / lane_count.max(1) as f64).clamp(2.0, 18.0);
    let (left, top, right) = (90.0, 60.0, 20.0);
    let plot_width = WIDTH - left - right;
    let plot_height = lane_height * lane_count as f64;
    let mut svg = Svg::new(WIDTH, top + plot_height + 50.0);
    let span = (end - start).as_secs_f64().max(1e-6);
    let x = |t: Duration| left + t.saturating_sub(start).as_secs_f64() / span * plot_width;

    svg.title(title);
    svg.text(
        10.0,
        40.0,
        "start",
        &format!(
            "{} requests over {} connections, at most {} at once; one lane per connection",
            requests.len(),
            lane_count,
            max_in_flight(requests)
        ),
    );
    for (request, &lane) in requests.iter().zip(&lane_of) {
        let y = top + lane as f64 * lane_height;
        let tooltip = format!(
            "connection {}: {} {:?}, {:.1} to {:.1} ms",
            lane + 1,
            request.path,
            request.outcome,
            request.start.saturating_sub(start).as_secs_f64() * 1e3,
            request.end.saturating_sub(start).as_secs_f64() * 1e3,
        );
        let width = x(request.end) - x(request.start);
        // A hair of white between back-to-back requests on one connection.
        let gap = if width > 3.0 { 1.0 } else { 0.0 };
        let height = (lane_height - 1.0).max(1.0);
        svg.rect(
            x(request.start),
            y,
            width - gap,
            height,
            outcome_colour(request.outcome),
            Some(&tooltip),
        );
    }
    if lane_height >= 10.0 {
        for lane in 0..lane_count {
            let y = top + (lane as f64 + 0.75) * lane_height;
            svg.text(left - 6.0, y, "end", &format!("connection {}", lane + 1));
        }
    } else {
        svg.text(
            left - 6.0,
            top + 10.0,
            "end",
            &format!("{lane_count} lanes"),
        );
    }
    let axis_y = top + plot_height + 4.0;
    svg.line((left, axis_y), (left + plot_width, axis_y), "black");
    let step = tick_step(span, 8.0);
    let mut tick = 0.0;
    while tick <= span + 1e-9 {
        let tx = left + tick / span * plot_width;
        svg.line((tx, axis_y), (tx, axis_y + 4.0), "black");
        svg.text(tx, axis_y + 16.0, "middle", &seconds_label(tick, step));
        tick += step;
    }
    svg.text(
        left + plot_width / 2.0,
        axis_y + 34.0,
        "middle",
        "seconds since the run started",
    );
    svg.finish()
}

fn seconds_label(value: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// One bar of [`bar_chart`]: our time, the article's Python figure if it has one, and its
/// Python original's time here, if it ran.
pub struct Bar {
    pub label: String,
    pub seconds: Option<f64>,
    pub python: Option<f64>,
    pub python_here: Option<f64>,
}

/// Horizontal bars of wall time, one per program, with its Python original's time here as an
/// orange bar and the article's Python figure as a thinner grey bar under ours.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let (left, top, right, row) = (170.0, 50.0, 80.0, 34.0);
    let plot_width = WIDTH - left - right;
    let most = bars
        .iter()
        .flat_map(|b| [b.seconds, b.python, b.python_here])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let mut svg = Svg::new(WIDTH, top + row * bars.len() as f64 + 50.0);
    svg.title(title);
    svg.rect(left, 30.0, 12.0, 10.0, "#4878a8", None);
    svg.text(left + 16.0, 39.0, "start", "Rust, here (median run)");
    svg.rect(left + 170.0, 30.0, 12.0, 10.0, "#d06030", None);
    svg.text(left + 186.0, 39.0, "start", "Python, here");
    svg.rect(left + 270.0, 30.0, 12.0, 10.0, "#b8b8b8", None);
    svg.text(
        left + 286.0,
        39.0,
        "start",
        "Python, the article (2019, real internet)",
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = top + i as f64 * row;
        svg.text(left - 8.0, y + 14.0, "end", &bar.label);
        match bar.seconds {
            Some(s) => {
                let width = s / most * plot_width;
                svg.rect(
                    left,
                    y + 2.0,
                    width,
                    14.0,
                    "#4878a8",
                    Some(&format!("{s:.3} s")),
                );
                svg.text(left + width + 4.0, y + 14.0, "start", &format!("{s:.2} s"));
            }
            None => svg.text(left + 4.0, y + 14.0, "start", "failed: no time"),
        }
        if let Some(p) = bar.python_here {
            let width = p / most * plot_width;
            let tip = format!("Python here: {p:.3} s");
            svg.rect(left, y + 17.0, width, 9.0, "#d06030", Some(&tip));
            svg.text(left + width + 4.0, y + 26.0, "start", &format!("{p:.2} s"));
        }
        if let Some(p) = bar.python {
            svg.rect(
                left,
                y + 27.0,
                p / most * plot_width,
                5.0,
                "#b8b8b8",
                Some(&format!("Python: {p} s")),
            );
        }
    }
    let axis_y = top + row * bars.len() as f64 + 4.0;
    svg.line((left, axis_y), (left + plot_width, axis_y), "black");
    let step = tick_step(most, 8.0);
    let mut tick = 0.0;
    while tick <= most + 1e-9 {
        let tx = left + tick / most * plot_width;
        svg.line((tx, axis_y), (tx, axis_y + 4.0), "black");
        svg.text(tx, axis_y + 16.0, "middle", &seconds_label(tick, step));
        tick += step;
    }
    svg.text(
        left + plot_width / 2.0,
        axis_y + 34.0,
        "middle",
        "wall time, seconds",
    );
    svg.finish()
}

/// One line of [`line_chart`].
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

const PALETTE: [&str; 6] = [
    "#4878a8", "#d06030", "#40a060", "#8050a0", "#a08020", "#606060",
];

/// Lines over logarithmic axes (both), with a legend: for times that fall from seconds to
/// milliseconds as the workers grow from 1 to 500.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let (left, top, right, bottom) = (70.0, 50.0, 200.0, 60.0);
    let (plot_width, plot_height) = (WIDTH - left - right, 400.0);
    let points = || {
        series
            .iter()
            .flat_map(|s| &s.points)
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
    };
    let bounds = |f: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = points()
            .map(f)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if lo > hi {
            (0.0, 1.0)
        } else {
            (
                lo.log10().floor(),
                hi.log10().ceil().max(lo.log10().floor() + 1.0),
            )
        }
    };
    let (x_lo, x_hi) = bounds(|p| p.0);
    let (y_lo, y_hi) = bounds(|p| p.1);
    let px = |x: f64| left + (x.log10() - x_lo) / (x_hi - x_lo) * plot_width;
    let py = |y: f64| top + plot_height - (y.log10() - y_lo) / (y_hi - y_lo) * plot_height;

    let mut svg = Svg::new(WIDTH, top + plot_height + bottom);
    svg.title(title);
    let axis = (top + plot_height, left);
    svg.line((left, axis.0), (left + plot_width, axis.0), "black");
    svg.line((axis.1, top), (axis.1, top + plot_height), "black");
    for decade in x_lo as i32..=x_hi as i32 {
        let value = 10f64.powi(decade);
        svg.line((px(value), axis.0), (px(value), axis.0 + 4.0), "black");
        svg.text(px(value), axis.0 + 16.0, "middle", &format_number(value));
    }
    for decade in y_lo as i32..=y_hi as i32 {
        let value = 10f64.powi(decade);
        svg.line(
            (left - 4.0, py(value)),
            (left + plot_width, py(value)),
            "#e0e0e0",
        );
        svg.text(left - 6.0, py(value) + 4.0, "end", &format_number(value));
    }
    svg.text(left + plot_width / 2.0, axis.0 + 36.0, "middle", x_label);
    svg.text(10.0, top - 10.0, "start", y_label);
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let path: Vec<String> = s
            .points
            .iter()
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let _ = writeln!(
            svg.body,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
            path.join(" ")
        );
        for point in &path {
            let (x, y) = point.split_once(',').expect("written above");
            let _ = writeln!(
                svg.body,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"{colour}\"/>"
            );
        }
        let legend_y = top + 10.0 + i as f64 * 20.0;
        svg.line(
            (WIDTH - right + 15.0, legend_y),
            (WIDTH - right + 40.0, legend_y),
            colour,
        );
        svg.text(WIDTH - right + 45.0, legend_y + 4.0, "start", &s.name);
    }
    svg.finish()
}

/// 0.01, 0.1, 1, 10, 100, 1000.
fn format_number(value: f64) -> String {
    if value >= 1.0 {
        format!("{value:.0}")
    } else {
        let decimals = (-value.log10()).ceil() as usize;
        format!("{value:.decimals$}")
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A small well-formedness check: one root, every tag closed in order, attributes quoted,
    /// every `&` an entity. No XML crate is needed for what this module writes.
    pub fn well_formed(xml: &str) -> Result<(), String> {
        let body = xml
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .ok_or("no XML declaration")?;
        let mut open: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = body;
        while let Some(at) = rest.find('<') {
            check_text(&rest[..at])?;
            let end = rest[at..].find('>').ok_or("a tag never ends")? + at;
            let tag = &rest[at + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                match open.pop() {
                    Some(top) if top == name => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
            } else {
                let self_closing = tag.ends_with('/');
                let tag = tag.trim_end_matches('/');
                let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
                check_attributes(attributes)?;
                if open.is_empty() {
                    roots += 1;
                }
                if !self_closing {
                    open.push(name);
                }
            }
            rest = &rest[end + 1..];
        }
        check_text(rest)?;
        match (open.as_slice(), roots) {
            ([], 1) => Ok(()),
            (open, roots) => Err(format!("{roots} roots, left open: {open:?}")),
        }
    }

    fn check_text(text: &str) -> Result<(), String> {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            if !["&amp;", "&lt;", "&gt;", "&quot;"].contains(&entity) {
                return Err(format!("bare & in {text:?}"));
            }
        }
        if text.contains('>') {
            return Err(format!("bare > in {text:?}"));
        }
        Ok(())
    }

    fn check_attributes(mut attributes: &str) -> Result<(), String> {
        loop {
            attributes = attributes.trim_start();
            if attributes.is_empty() {
                return Ok(());
            }
            let (name, rest) = attributes
                .split_once("=\"")
                .ok_or(format!("unquoted: {attributes}"))?;
            if name.contains(|c: char| c.is_whitespace() || c == '"') {
                return Err(format!("bad attribute name {name:?}"));
            }
            let (value, rest) = rest.split_once('"').ok_or("an attribute never ends")?;
            check_text(value)?;
            if value.contains('<') {
                return Err(format!("< in attribute {value:?}"));
            }
            attributes = rest;
        }
    }

    fn request(connection: u64, start_ms: u64, end_ms: u64, outcome: Outcome) -> LoggedRequest {
        LoggedRequest {
            connection,
            path: "/dice?a=1&b=<2>".into(),
            start: Duration::from_millis(start_ms),
            end: Duration::from_millis(end_ms),
            outcome,
        }
    }

    #[test]
    fn the_checker_catches_broken_xml() {
        let ok = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg a=\"1\"><g><rect/></g></svg>\n";
        assert_eq!(well_formed(ok), Ok(()));
        for bad in [
            "<svg><g></svg>",
            "<svg a=1/>",
            "<svg>&</svg>",
            "<svg/><svg/>",
            "<svg>",
        ] {
            let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{bad}");
            assert!(well_formed(&xml).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_lane_per_connection_in_order_of_first_use() {
        let requests = [
            request(7, 10, 60, Outcome::Ok),
            request(3, 0, 50, Outcome::Ok),
            request(7, 60, 110, Outcome::Ok),
            request(9, 5, 55, Outcome::Error),
        ];
        assert_eq!(lanes(&requests), (vec![2, 0, 2, 1], 3));
        assert_eq!(lanes(&[]), (vec![], 0));
    }

    #[test]
    fn a_timeline_is_well_formed_with_a_bar_per_request() {
        let requests: Vec<_> = (0..20)
            .map(|i| request(i % 5, i * 10, i * 10 + 50, Outcome::Ok))
            .collect();
        let svg = timeline(
            "io_threads <5 & more>",
            &requests,
            Duration::ZERO,
            Duration::from_millis(260),
        );
        assert_eq!(well_formed(&svg), Ok(()));
        assert_eq!(svg.matches("<title>").count(), 20);
        assert!(svg.contains("connection 5") && !svg.contains("connection 6"));
        // Many connections still fit: thin lanes, no labels.
        let many: Vec<_> = (0..500)
            .map(|i| request(i, 0, 50, Outcome::Dropped))
            .collect();
        assert_eq!(
            well_formed(&timeline(
                "io_async",
                &many,
                Duration::ZERO,
                Duration::from_millis(60)
            )),
            Ok(())
        );
    }

    #[test]
    fn charts_are_well_formed() {
        let bars = [
            Bar {
                label: "io_sequential".into(),
                seconds: Some(8.1),
                python: Some(14.3),
                python_here: Some(8.6),
            },
            Bar {
                label: "io_async".into(),
                seconds: None,
                python: Some(2.6),
                python_here: None,
            },
        ];
        assert_eq!(well_formed(&bar_chart("Wall <times>", &bars)), Ok(()));
        let series = [
            Series {
                name: "160 sites".into(),
                points: vec![(1.0, 8.0), (5.0, 1.6), (500.0, 0.06)],
                dashed: false,
            },
            Series {
                name: "Python".into(),
                points: vec![(1.0, 13.2), (500.0, 0.68)],
                dashed: true,
            },
            Series {
                name: "nothing".into(),
                points: vec![],
                dashed: false,
            },
        ];
        let chart = line_chart("sweep", "workers", "seconds", &series);
        assert_eq!(well_formed(&chart), Ok(()));
        assert_eq!(chart.matches("<polyline").count(), 3);
        assert_eq!(well_formed(&line_chart("empty", "x", "y", &[])), Ok(()));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(8.0, 8.0), 1.0);
        assert_eq!(tick_step(1.6, 8.0), 0.2);
        assert_eq!(tick_step(0.06, 8.0), 0.01);
        assert_eq!(tick_step(30.0, 8.0), 5.0);
    }
}
