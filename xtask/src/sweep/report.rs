//! The sweep's report: workers down and sites across, as the article's table; every run with
//! its figures; and a line chart of wall time against workers, one line per number of sites.

use serde::Serialize;

use crate::report::table::{Column, Figure, Table, or_dash, seconds, verdict, wrap};
use crate::report::{Output, plot};

use super::args::SweepArgs;
use super::rows::SweepRow;

/// The article's table: `max_workers` and the seconds its threaded Python downloader took
/// (200 downloads of the real sites).
const ARTICLE: [(usize, f64); 7] = [
    (1, 13.254),
    (5, 3.034),
    (10, 1.712),
    (20, 1.140),
    (30, 0.956),
    (100, 0.589),
    (500, 0.684),
];

#[derive(Serialize)]
struct Report<'a> {
    program: &'static str,
    latency_ms: u64,
    runs: u32,
    rows: &'a [SweepRow],
    /// The article's `(max_workers, seconds)`, for io_threads.
    article: Option<&'a [(usize, f64)]>,
}

/// The figures of the table of every run: all but the largest process's, the terminal showing
/// these.
const ON_TERMINAL: [Figure; 3] = [Figure::Wall, Figure::PeakMemory, Figure::Threads];

fn figures() -> impl Iterator<Item = Figure> {
    (Figure::ALL.into_iter()).filter(|&figure| figure != Figure::LargestProcess)
}

pub fn output(args: &SweepArgs, rows: &[SweepRow]) -> anyhow::Result<Output> {
    let name = args.program.name();
    // The article's table is of its threaded Python downloader: beside io_threads, and beside
    // that very program run here.
    let article = (args.program.program.name == "io_threads").then_some(&ARTICLE[..]);
    let (matrix, detail) = (matrix(args, rows, article), detail(rows));
    // The row of the program's own default, when it has one.
    let default = rows.iter().find_map(|row| Some((row, row.default?))).map(|(row, whose)| {
        let (label, flag, value) = (row.label(), row.flag, row.value);
        format!(
            "{label}: the cap {name} takes on its own, {whose}, given as {flag} {value} since the \
             sites are the sweep's stand-in's."
        )
    });
    let mut text = matrix.to_text();
    if let Some(default) = &default {
        text += &wrap(default);
    }
    text += &format!("\n{}\n", detail.to_text());
    let tables = [matrix.to_markdown(), detail.to_markdown()];
    let markdown = markdown(args, tables, article.is_some(), default.as_deref());
    let json = serde_json::to_string_pretty(&Report {
        program: name,
        latency_ms: args.stand_in.latency_ms,
        runs: args.runs,
        rows,
        article,
    })?;
    let failed = rows.iter().filter(|r| r.failure.is_some()).count();
    let total = rows.len();
    let failures = (failed > 0)
        .then(|| format!("{failed} of {total} runs failed verification: see the status column."));
    Ok(Output {
        text,
        files: vec![
            (format!("sweep-{name}.svg"), chart(args, rows, article)?),
            (format!("sweep-{name}.md"), markdown),
            (format!("sweep-{name}.json"), json),
        ],
        failures: failures.into_iter().collect(),
    })
}

/// sweep-NAME.md: what was run, the two tables, the chart.
fn markdown(
    args: &SweepArgs,
    [matrix, detail]: [String; 2],
    article: bool,
    default: Option<&str>,
) -> String {
    let (name, flag) = (args.program.name(), args.flag());
    let article = match article {
        true => {
            " The article's column is its threaded Python downloader on the real internet, 200 \
             downloads."
        }
        false => "",
    };
    format!(
        "# cargo xtask sweep --program {name}\n\n\
         Each cell is the wall time of {name} with that many {flag}, downloading that many \
         sites from the local stand-in at {latency} ms per request (median of {runs} run(s)).\
         {article}{default}\n\n\
         {matrix}\n![{name} sweep](sweep-{name}.svg)\n\n## Every run\n\n{detail}",
        latency = args.stand_in.latency_ms,
        runs = args.runs,
        default = default.map(|d| format!(" {d}")).unwrap_or_default(),
    )
}

/// Workers down, sites across: the shape of the article's table.
fn matrix(args: &SweepArgs, rows: &[SweepRow], article: Option<&[(usize, f64)]>) -> Table {
    let mut columns = vec![Column::number(args.flag())];
    columns.extend((args.sites.iter()).map(|s| Column::number_under(format!("{s} sites"))));
    columns.extend(article.map(|_| Column::number("Python (article)")));
    let mut table = Table::of(columns);
    for (value, _) in args.values() {
        let label = (rows.iter())
            .find(|r| r.value == value)
            .map_or_else(|| value.to_string(), SweepRow::label);
        let mut cells = vec![label];
        for &sites in &args.sites {
            let row = rows.iter().find(|r| r.value == value && r.sites == sites);
            cells.push(match row {
                Some(row) if row.skipped.is_some() => "skipped".into(),
                Some(row) if row.failure.is_none() => Figure::Wall.cell(row.figures.as_ref()),
                _ => "FAILED".into(),
            });
        }
        if let Some(article) = article {
            let python = article.iter().find(|&&(w, _)| w == value);
            cells.push(or_dash(python, |(_, s)| seconds(*s)));
        }
        table.push(cells);
    }
    table
}

/// Every combination with every figure.
fn detail(rows: &[SweepRow]) -> Table {
    let flag = rows.first().map_or("--workers", |r| r.flag);
    let mut columns = vec![Column::number(flag), Column::number("sites")];
    columns.extend(figures().map(|figure| figure.column(ON_TERMINAL.contains(&figure))));
    columns.push(Column::text("status"));
    let mut table = Table::of(columns);
    for row in rows {
        let mut cells = vec![row.label(), row.sites.to_string()];
        cells.extend(figures().map(|figure| figure.cell(row.figures.as_ref())));
        cells.push(match &row.skipped {
            Some(why) => format!("skipped: {why}"),
            None => verdict(row.failure.as_deref(), row.faults.as_ref()),
        });
        table.push(cells);
    }
    table
}

/// Wall time against the flag, one line per number of sites, and the article's, dashed.
fn chart(
    args: &SweepArgs,
    rows: &[SweepRow],
    article: Option<&[(usize, f64)]>,
) -> anyhow::Result<String> {
    let (name, flag) = (args.program.name(), args.flag());
    let mut series: Vec<plot::Series> = (args.sites.iter())
        .map(|&sites| plot::Series {
            name: format!("{sites} sites"),
            points: (rows.iter())
                .filter(|r| r.sites == sites && r.verified)
                .filter_map(|r| Some((r.value as f64, r.figures.as_ref()?.wall_seconds)))
                .collect(),
            dashed: false,
        })
        .collect();
    if let Some(article) = article {
        series.push(plot::Series {
            name: "Python, the article's run".into(),
            points: article.iter().map(|&(w, s)| (w as f64, s)).collect(),
            dashed: true,
        });
    }
    let latency = args.stand_in.latency_ms;
    let title = format!("{name}: wall time against {flag} ({latency} ms per request)");
    let axis = format!("{flag} (log scale)");
    plot::line_chart(&title, &axis, "wall seconds (log scale)", &series)
}
