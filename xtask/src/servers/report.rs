//! The servers family's rows: a table on the terminal (what fits in 80 columns), every figure
//! in the Markdown and JSON files, a legend, the sentences the runs call for, and what failed
//! its check.

use std::time::Duration;

use serde::Serialize;

use super::family::{Loaded, Outcome, QUERIES, Ran, mib};
use crate::report::plot::{Rate, rate_chart};
use crate::report::table::{Cells, Column, Table, fixed, or_dash, wrap};

/// One server under one load, as the files hold it.
#[derive(Default, Serialize)]
pub struct Row {
    pub server: &'static str,
    pub load: &'static str,
    pub asked: usize,
    pub answered: usize,
    pub wrong: usize,
    pub per_second: Option<f64>,
    /// The server's processor time per right answer, user and kernel (busy and http loads).
    pub cpu_us: Option<f64>,
    /// Of it, the kernel's: system calls, and the network stack's work while the server runs.
    pub kernel_us: Option<f64>,
    /// The load's clients' processor time per right answer: they share the machine's cores.
    pub clients_cpu_us: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub peak_mib: Option<f64>,
    pub threads: Option<u64>,
    pub idle_held: Option<usize>,
    pub idle_bytes_each: Option<f64>,
    pub ready_s: Option<f64>,
    /// What the row's figures need said: why it could not run, why it held no more idle
    /// clients, why queries went unanswered, or the first wrong answer.
    pub note: Option<String>,
    /// Every answer right, and (but for a server that serves one client at a time, under the
    /// idle load, where no answer is the lesson) at least one.
    pub verified: bool,
}

pub fn row(outcome: &Outcome) -> Row {
    let (server, load) = (outcome.server, outcome.load);
    let mut row = Row {
        server: server.name,
        load,
        ..Row::default()
    };
    let loaded = match &outcome.result {
        Ok(loaded) => loaded,
        Err(why) => {
            row.note = Some(why.clone());
            return row;
        }
    };
    let tally = &loaded.tally;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    row.asked = tally.asked();
    row.answered = tally.latencies.len();
    row.wrong = tally.wrong.len();
    row.per_second = (row.answered > 0).then(|| tally.per_second());
    let us = |cpu: Option<Duration>| Some(cpu.filter(|_| row.answered > 0)?.as_secs_f64() * 1e6);
    row.cpu_us = us(loaded.cpu_each);
    row.kernel_us = us(loaded.kernel_each);
    row.clients_cpu_us = us(loaded.clients_cpu_each);
    row.p50_ms = tally.percentile(0.50).map(ms);
    row.p99_ms = tally.percentile(0.99).map(ms);
    row.peak_mib = loaded.peak.map(mib);
    row.threads = loaded.peak.and_then(|peak| peak.threads).map(|n| n as u64);
    row.ready_s = Some(loaded.ready.as_secs_f64());
    row.idle_held = loaded.idle.as_ref().map(|held| held.count);
    row.idle_bytes_each = loaded.idle.as_ref().and_then(|held| held.bytes_each);
    let lesson = server.one_at_a_time && load == "idle";
    row.verified = row.wrong == 0 && (row.answered > 0 || lesson);
    row.note = note(loaded, lesson);
    row
}

/// The first thing a reader of the row needs told, if anything.
fn note(loaded: &Loaded, lesson: bool) -> Option<String> {
    let tally = &loaded.tally;
    if let Some(wrong) = tally.wrong.first() {
        return Some(format!("wrong: {wrong}"));
    }
    if lesson {
        return Some(format!(
            "one client at a time: behind the first idle client, no one was served ({})",
            tally.why_unserved.as_deref().unwrap_or("no answer")
        ));
    }
    if let Some(held) = &loaded.idle
        && let Some(stopped) = &held.stopped
    {
        return Some(format!("held {} idle clients, then: {stopped}", held.count));
    }
    let why = tally.why_unserved.as_deref()?;
    let (unserved, asked) = (tally.unserved, tally.asked());
    Some(format!("{unserved} of {asked} queries unanswered: {why}"))
}

/// Every column, each with its cell: the terminal shows what fits in 80 columns, servers.md
/// all but the last two.
const COLUMNS: [Cells<Row>; 16] = [
    (Column::text("server"), |r| r.server.to_owned()),
    (Column::text("load"), |r| r.load.to_owned()),
    (Column::number("answered"), |r| match r.asked {
        0 => "-".to_owned(),
        asked => format!("{:.0}%", 100.0 * r.answered as f64 / asked as f64),
    }),
    (Column::number("per s"), |r| fixed(r.per_second, 0)),
    (Column::number("cpu µs"), |r| fixed(r.cpu_us, 0)),
    (Column::number("of it kernel µs").markdown_only(), |r| {
        fixed(r.kernel_us, 0)
    }),
    (Column::number("clients cpu µs").markdown_only(), |r| {
        fixed(r.clients_cpu_us, 0)
    }),
    (Column::number("p50 ms").markdown_only(), |r| {
        fixed(r.p50_ms, 1)
    }),
    (Column::number("p99 ms"), |r| fixed(r.p99_ms, 1)),
    (Column::number("MiB").markdown_only(), |r| {
        fixed(r.peak_mib, 1)
    }),
    (Column::number("threads"), |r| {
        or_dash(r.threads, |n| n.to_string())
    }),
    (Column::number("KB/idle"), |r| {
        fixed(r.idle_bytes_each.map(|b| b / 1e3), 1)
    }),
    (Column::number("idle held").markdown_only(), |r| {
        or_dash(r.idle_held, |n| n.to_string())
    }),
    (Column::number("ready s").markdown_only(), |r| {
        fixed(r.ready_s, 2)
    }),
    (Column::text("verified").markdown_only(), |r| {
        if r.verified { "yes" } else { "NO" }.to_owned()
    }),
    (Column::text("note").markdown_only(), |r| {
        r.note.clone().unwrap_or_default()
    }),
];

pub fn table(rows: &[Row]) -> Table {
    Table::of_rows(&COLUMNS, rows)
}

/// The table for the docs, which `--write-docs` writes only when every row was verified: every
/// column but `verified` and `note`, and the notes under it, a line each.
pub fn docs(ran: &Ran, rows: &[Row]) -> String {
    let table = Table::of_rows(&COLUMNS[..COLUMNS.len() - 2], rows);
    let mut text = format!("*{}*\n\n{}", loads(ran), table.to_markdown());
    for row in rows {
        if let Some(note) = &row.note {
            text += &format!("\n- {} ({}): {note}", row.server, row.load);
        }
    }
    text
}

/// The busy and http rows' rates, under a load of `clients`, as `servers.svg`.
pub fn picture(rows: &[Row], clients: usize) -> anyhow::Result<String> {
    let bars: Vec<Rate> = (rows.iter())
        .filter(|r| r.load != "idle")
        .filter_map(|r| {
            Some(Rate {
                label: format!("{} ({})", r.server, r.load),
                per_second: r.per_second?,
                python: r.server.ends_with(".py"),
            })
        })
        .rev() // The first row at the top.
        .collect();
    let title = format!("Servers: right answers per second, {clients} clients at once");
    let axis = "answers per second (every answer checked; median run)";
    rate_chart(&title, axis, &bars)
}

/// Under the terminal's table.
const LEGEND: &str = "busy: the clients all at once, each sending the ten queries over \
one session; idle: the idle clients held while ten others query; http: the busy load on \
/search, keep-alive. answered: the queries answered right within the load's time; per s: \
right answers per second; cpu µs: the server's processor time per right answer, its own and \
the kernel's on its behalf; p50, p99: their latencies; threads: the most the server had; \
KB/idle: its resident memory's growth per idle client held. Every answer is checked against \
its server's own index. The sequential server's loads run once: its figures are its lesson. \
-: not measured (no answer, not this load, or a kernel's share of fewer than ten of the \
clock's ticks, /proc's hundredths of a second).";

/// What the loads were, and how often each ran: two lines, each under 100 characters.
fn loads(ran: &Ran) -> String {
    let scale = ran.scale;
    let times = |n: u32| match n {
        1 => "once".to_owned(),
        n => format!("{n} times"),
    };
    let (busy, idle, queries) = (scale.busy_clients, scale.idle_clients, QUERIES.len());
    let (rust, python) = (times(ran.runs.rust), times(ran.runs.python));
    format!(
        "Servers: {busy} busy clients x {queries} queries, {idle} idle clients\n\
         Each load ran {rust} on each Rust server and {python} on each Python one; the row is \
         its median run."
    )
}

/// The terminal's text: the table, its legend, the queries on which the two indexes differ,
/// and each row's note.
pub fn text(ran: &Ran, rows: &[Row]) -> String {
    let mut text = format!("\n{}", wrap(&loads(ran)));
    text += &table(rows).to_text();
    text += &format!("\n{}", wrap(LEGEND));
    if let Some(differ) = differences(ran) {
        text += &format!("\n{}", wrap(&differ));
    }
    if let Some(why) = &ran.python_missing {
        text += &wrap(&format!("The Python servers did not run: {why}."));
    }
    for row in rows.iter().filter(|r| r.note.is_some()) {
        let note = row.note.as_deref().unwrap_or_default();
        text += &wrap(&format!("{} ({}): {note}", row.server, row.load));
    }
    text
}

/// Which queries Rust's and Python's indexes answer differently, if both ran.
fn differences(ran: &Ran) -> Option<String> {
    let python = ran.python.as_ref()?;
    let differ: Vec<String> = (ran.rust.iter().zip(python.iter()))
        .filter(|(rust, python)| rust.expected != python.expected)
        .map(|(r, p)| format!("{:?} {} against {}", r.text, r.expected, p.expected))
        .collect();
    Some(match differ.is_empty() {
        true => "Rust's and Python's indexes find as many characters for every query.".into(),
        false => format!(
            "Where the Unicode versions differ, the indexes find (Rust's against Python's): {}.",
            differ.join(", ")
        ),
    })
}

/// The rows that failed their check, a line each.
pub fn failures(rows: &[Row]) -> Vec<String> {
    (rows.iter().filter(|r| !r.verified))
        .map(|r| {
            let why = r.note.as_deref().unwrap_or("no answer");
            format!("FAILED {} ({}): {why}", r.server, r.load)
        })
        .collect()
}
