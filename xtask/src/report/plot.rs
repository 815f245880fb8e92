//! Pictures, drawn with plotters' SVG backend: a timeline of a downloader's requests (the
//! article's diagrams of its threading, asyncio and multiprocessing versions, drawn from what
//! really happened), a bar chart of wall times, one of the servers' rates, and a line chart for
//! the sweep.
//!
//! No font is loaded: without its `ttf` feature plotters estimates the size of a text and
//! writes it as SVG `<text>`, which the browser or viewer renders with its own fonts.

use std::collections::HashMap;
use std::time::Duration;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use stand_in::server::{LoggedRequest, Outcome, max_in_flight};

const WIDTH: u32 = 900;
const BLUE: RGBColor = RGBColor(0x48, 0x78, 0xa8);
const GREY: RGBColor = RGBColor(0xb8, 0xb8, 0xb8);
const ORANGE: RGBColor = RGBColor(0xd0, 0x60, 0x30);
const PALETTE: [RGBColor; 5] = [
    BLUE,
    ORANGE,
    RGBColor(0x40, 0xa0, 0x60),
    RGBColor(0x80, 0x50, 0xa0),
    RGBColor(0xa0, 0x80, 0x20),
];

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws on a white SVG page of `height` and returns the document.
fn svg(
    height: u32,
    draw: impl FnOnce(&Area) -> Result<(), Box<dyn std::error::Error>>,
) -> anyhow::Result<String> {
    let mut text = String::new();
    let root = SVGBackend::with_string(&mut text, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    draw(&root).map_err(|e| anyhow::anyhow!("cannot draw: {e}"))?;
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(root);
    Ok(text)
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

fn outcome_colour(outcome: Outcome) -> RGBColor {
    match outcome {
        Outcome::Ok => BLUE,
        Outcome::Slow => RGBColor(0xe0, 0xa0, 0x30),
        Outcome::Error => RGBColor(0xd0, 0x40, 0x40),
        Outcome::Dropped => RGBColor(0x20, 0x20, 0x20),
        Outcome::NotFound => RGBColor(0x90, 0x90, 0x90),
        Outcome::Abandoned => RGBColor(0xa0, 0x60, 0xc0),
    }
}

/// A timeline of one run: a lane per connection (the first at the top), a bar per request,
/// time running right from the run's `start` to its `end` (both from the stand-in's epoch).
pub fn timeline(
    title: &str,
    requests: &[LoggedRequest],
    start: Duration,
    end: Duration,
) -> anyhow::Result<String> {
    let (lane_of, lanes) = lanes(requests);
    let lane_height = (600 / lanes.max(1) as u32).clamp(2, 18);
    let span = (end - start).as_secs_f64().max(1e-6);
    let subtitle = format!(
        "{} requests over {lanes} connections, at most {} at once; one lane per connection",
        requests.len(),
        max_in_flight(requests)
    );
    let lanes = lanes.max(1) as u32;
    svg(lane_height * lanes + 120, |root| {
        let (top, root) = root.split_vertically(50);
        let bold = ("sans-serif", 16).into_font().style(FontStyle::Bold);
        top.draw_text(title, &bold.into(), (10, 8))?;
        top.draw_text(&subtitle, &("sans-serif", 13).into_font().into(), (10, 30))?;
        // Segments, one per lane, the first connection at the top.
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..span, (0..lanes - 1).into_segmented())?;
        let lane = |i: u32| lanes - 1 - i;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("seconds since the run started")
            .y_labels(lanes.min(30) as usize)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => format!("connection {}", lane(*i) + 1),
                _ => String::new(),
            })
            .draw()?;
        let mut shown = Vec::new();
        for (request, &i) in requests.iter().zip(&lane_of) {
            let drawn = chart.draw_series([request_bar(request, start, lane(i as u32))])?;
            if !shown.contains(&request.outcome) {
                shown.push(request.outcome);
                let key = outcome_colour(request.outcome).filled();
                drawn
                    .label(format!("{:?}", request.outcome))
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], key));
            }
        }
        if shown.len() > 1 {
            legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        }
        Ok(())
    })
}

/// A request's bar in lane `y` (counted from the bottom), from its start to its end in seconds
/// since `start`.
fn request_bar(
    request: &LoggedRequest,
    start: Duration,
    y: u32,
) -> Rectangle<(f64, SegmentValue<u32>)> {
    let seconds = |t: Duration| t.saturating_sub(start).as_secs_f64();
    let ends = [
        (seconds(request.start), SegmentValue::Exact(y)),
        (seconds(request.end), SegmentValue::Exact(y + 1)),
    ];
    let mut bar = Rectangle::new(ends, outcome_colour(request.outcome).filled());
    bar.set_margin(1, 1, 0, 1);
    bar
}

/// The legend of `chart`'s labelled series, in a white box.
fn legend<'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), Box<dyn std::error::Error>> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(position)
        .draw()?;
    Ok(())
}

/// One bar of [`bar_chart`]: our time, the article's Python figure if it has one, and its
/// Python original's time here, if it ran.
pub struct Bar {
    pub label: String,
    pub seconds: Option<f64>,
    pub python: Option<f64>,
    pub python_here: Option<f64>,
}

const RUST_HERE: &str = "Rust, here (median run)";
const PYTHON_HERE: &str = "Python, here (its original, median run)";
const PYTHON_ARTICLE: &str = "Python, the article (2019 laptop, real internet)";

/// Horizontal bars of wall time, one per program, on a log scale (from hundredths of a second
/// to seconds), with its Python original's time here as an orange bar and the article's
/// Python figure as a thinner grey bar under ours.
pub fn bar_chart(title: &str, bars: &[Bar]) -> anyhow::Result<String> {
    let times = bars
        .iter()
        .flat_map(|b| [b.seconds, b.python, b.python_here]);
    let scale = decades(times.flatten(), 1.0).log_scale();
    // plotters' own figures on a log scale: `{:?}`.
    let axis = "wall time, seconds (log scale)";
    let x = (scale, axis, |x: &f64| format!("{x:?}"));
    // Each row 34 pixels high: ours (10 pixels high), Python's here (8), the article's (4),
    // from the top.
    let ends = |end: fn(&Bar) -> Option<f64>| bars.iter().map(end).collect();
    let series = [
        (BLUE, (3, 21), 5, RUST_HERE, ends(|b| b.seconds)),
        (ORANGE, (15, 11), 4, PYTHON_HERE, ends(|b| b.python_here)),
        (GREY, (25, 5), 3, PYTHON_ARTICLE, ends(|b| b.python)),
    ];
    // Our time and Python's here beside their bars: at the top of the row and 13 pixels down.
    let figure = |i, s, down| (i, s, down, format!(" {}", super::table::seconds(s)));
    let figures = bars.iter().enumerate().flat_map(|(i, b)| {
        let (ours, here) = (b.seconds.map(|s| figure(i, s, 0)), b.python_here);
        ours.into_iter().chain(here.map(|s| figure(i, s, 13)))
    });
    let figures = (VPos::Top, figures);
    let labels = bars.iter().map(|b| b.label.as_str()).collect();
    // Upper right: the rows at the top (the families added last) have no Python bars.
    let legend_at = SeriesLabelPosition::UpperRight;
    row_chart(title, labels, (34, 200), x, series, figures, legend_at)
}

/// One bar of [`rate_chart`]: its label, its figure, and whether it is a Python server's.
pub struct Rate {
    pub label: String,
    pub per_second: f64,
    pub python: bool,
}

/// Horizontal bars of a rate, one per row, the first at the bottom, on a linear scale from 0:
/// the Rust servers' blue, the Python ones' orange, each with its figure at its end.
pub fn rate_chart(title: &str, axis: &str, bars: &[Rate]) -> anyhow::Result<String> {
    let most = bars.iter().map(|b| b.per_second).fold(1.0, f64::max);
    let x = (0.0..most * 1.15, axis, |x: &f64| format!("{x:.0}"));
    let ends = |python: bool| {
        let end = |b: &Rate| (b.python == python).then_some(b.per_second);
        bars.iter().map(end).collect()
    };
    let series = [
        (BLUE, (6, 6), 5, "Rust", ends(false)),
        (ORANGE, (6, 6), 5, "Python", ends(true)),
    ];
    let figure = |(i, b): (usize, &Rate)| (i, b.per_second, 15, format!(" {:.0}", b.per_second));
    let figures = (VPos::Center, bars.iter().enumerate().map(figure));
    let labels = bars.iter().map(|b| b.label.as_str()).collect();
    let legend_at = SeriesLabelPosition::LowerRight;
    row_chart(title, labels, (30, 260), x, series, figures, legend_at)
}

/// A series of bars in a [`row_chart`]: its colour, its margins in a row (top, bottom), half the
/// height of its key in the legend, its label, and where each row's bar ends, if it has one.
type RowSeries = (RGBColor, (u32, u32), i32, &'static str, Vec<Option<f64>>);

/// Horizontal bars under `title`, a row `height` pixels high per label, the first at the
/// bottom, the labels in an area `width` pixels wide; across, the scale `x`, with its
/// description and its figures' format. Each of `series` is drawn from the scale's start and
/// named in the legend (at `legend_at`); then the `figures`, each a text beside a point at the
/// top of its row (row, where, pixels down, text), hanging from it as `hang` says.
fn row_chart<X: AsRangedCoord<Value = f64, CoordDescType: ValueFormatter<f64>>>(
    title: &str,
    labels: Vec<&str>,
    (height, width): (u32, u32),
    (x, x_desc, x_format): (X, &str, impl Fn(&f64) -> String),
    series: impl IntoIterator<Item = RowSeries>,
    (hang, figures): (VPos, impl IntoIterator<Item = (usize, f64, i32, String)>),
    legend_at: SeriesLabelPosition,
) -> anyhow::Result<String> {
    let rows = labels.len().max(1) as u32;
    // Row `i` runs from `edge(i)`, its bottom, to `edge(i + 1)`, its top.
    let edge = |i: usize| SegmentValue::Exact(i as u32);
    svg(height * rows + 110, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16).into_font().style(FontStyle::Bold))
            .margin(10)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(width)
            .build_cartesian_2d(x, (0..rows - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_desc)
            .x_label_formatter(&x_format)
            .y_labels(rows as usize)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).unwrap_or(&"").to_string(),
                _ => String::new(),
            })
            .draw()?;
        let start = chart.x_range().start;
        for (colour, (top, bottom), half, label, ends) in series {
            let drawn = ends.into_iter().enumerate().filter_map(|(i, end)| {
                let ends = [(start, edge(i)), (end?, edge(i + 1))];
                let mut bar = Rectangle::new(ends, colour.filled());
                bar.set_margin(top, bottom, 0, 0);
                Some(bar)
            });
            let style = colour.filled();
            chart
                .draw_series(drawn)?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - half), (x + 12, y + half)], style));
        }
        let font = ("sans-serif", 11).into_font();
        let style = font.into_text_style(root).pos(Pos::new(HPos::Left, hang));
        let figures = figures.into_iter().map(|(i, x, down, text)| {
            EmptyElement::at((x, edge(i + 1))) + Text::new(text, (0, down), style.clone())
        });
        chart.draw_series(figures)?;
        legend(&mut chart, legend_at)
    })
}

/// From the power of ten at or under the least of `values` (and 1) to the one at or over the
/// most (and `span` times the least): a log scale's whole decades.
fn decades(values: impl Iterator<Item = f64> + Clone, span: f64) -> std::ops::Range<f64> {
    let least = values.clone().fold(1.0f64, f64::min);
    let most = values.fold(least * span, f64::max);
    10f64.powf(least.log10().floor())..10f64.powf(most.log10().ceil())
}

/// One line of [`line_chart`].
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// Lines over logarithmic axes (both), with a legend: for times that fall from seconds to
/// milliseconds as the workers grow from 1 to 500.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> anyhow::Result<String> {
    // A log scale has no room for 0.
    let positive = |&(x, y): &(f64, f64)| x > 0.0 && y > 0.0;
    let points = (series.iter()).flat_map(|s| s.points.iter().copied().filter(positive));
    let x = decades(points.clone().map(|p| p.0), 10.0);
    let y = decades(points.map(|p| p.1), 10.0);
    svg(500, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16).into_font().style(FontStyle::Bold))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x.log_scale(), y.log_scale())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .draw()?;
        for (i, s) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let style = colour.stroke_width(2);
            let points = s.points.iter().copied().filter(positive);
            let drawn = match s.dashed {
                true => chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?,
                false => chart.draw_series(LineSeries::new(points.clone(), style))?,
            };
            drawn
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
            chart.draw_series(points.map(|p| Circle::new(p, 3, colour.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_timeline_has_a_bar_per_request_and_a_label_per_lane() {
        let requests: Vec<_> = (0..20)
            .map(|i| request(i % 5, i * 10, i * 10 + 50, Outcome::Ok))
            .collect();
        let end = Duration::from_millis(260);
        let svg = timeline("io_threads <5 & more>", &requests, Duration::ZERO, end).unwrap();
        assert!(svg.contains("io_threads &lt;5 &amp; more&gt;"), "{svg}");
        assert!(svg.contains("20 requests over 5 connections"), "{svg}");
        assert!(svg.contains("connection 5") && !svg.contains("connection 6"));
        assert!(svg.matches("<rect").count() >= 20, "{svg}");
        // Many connections still fit: thin lanes, fewer labels.
        let many: Vec<_> = (0..500)
            .map(|i| request(i, 0, 50, Outcome::Dropped))
            .collect();
        let svg = timeline("io_async", &many, Duration::ZERO, Duration::from_millis(60));
        assert!(svg.unwrap().contains("500 requests over 500 connections"));
    }

    #[test]
    fn charts_have_their_bars_lines_and_legends() {
        let bar = |label: &str, seconds, python, python_here| Bar {
            label: label.into(),
            seconds,
            python,
            python_here,
        };
        let bars = [
            bar("io_sequential", Some(8.1), Some(14.3), Some(8.6)),
            bar("io_async", None, Some(2.6), None),
        ];
        let chart = bar_chart("Wall times", &bars).unwrap();
        assert!(chart.contains("io_sequential") && chart.contains("Python, the article"));
        // Python here: its bar in the legend and its value beside the bar.
        assert!(
            chart.contains("Python, here") && chart.contains("8.60 s"),
            "{chart}"
        );
        let line = |name: &str, points: Vec<(f64, f64)>, dashed| Series {
            name: name.into(),
            points,
            dashed,
        };
        let series = [
            line(
                "160 sites",
                vec![(1.0, 8.0), (5.0, 1.6), (500.0, 0.06)],
                false,
            ),
            line("Python", vec![(1.0, 13.2), (500.0, 0.68)], true),
            line("nothing", vec![], false),
        ];
        let chart = line_chart("sweep", "workers", "seconds", &series).unwrap();
        assert!(
            chart.contains("160 sites") && chart.contains("Python"),
            "{chart}"
        );
        assert!(line_chart("empty", "x", "y", &[]).is_ok());
    }
}
