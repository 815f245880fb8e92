//! The sweep's report: a row per server per step (what fits in 80 columns on the terminal,
//! every column in servers-sweep.md), a line per server saying where it stopped and why, and
//! everything in servers-sweep.json.

use std::time::Duration;

use serde::Serialize;

use super::args::SERVER_MARGIN;
use super::limits::OpenFiles;
use super::rows::{End, Setting, Step, Swept};
use crate::report::Output;
use crate::report::table::{Cells, Column, Table, fixed, or_dash, wrap};

const LEGEND: &str = "step: the idle connections asked for; held: those the server greeted \
(its prompt, or one HTTP answer) and that then said nothing; MiB, threads: the server's resident memory and threads while it held them; KB/conn: its memory's \
growth since it was warmed up, per connection held; active: the queries of one more client \
answered right, each checked, and p50 ms their median latency.";

/// The Markdown's columns that the terminal leaves out.
const MORE: &str = "s: the seconds opening the step's connections took; wrong: the active \
client's first wrong answer; unanswered: why some of its queries were not answered.";

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    setting: &'a Setting,
    servers: &'a [Swept],
    seconds: f64,
}

pub fn output(setting: &Setting, swept: &[Swept], took: Duration) -> anyhow::Result<Output> {
    let table = table(swept);
    let (head, ends) = (head(setting), ends(setting, swept));
    let seconds = took.as_secs_f64();
    let took = format!("Swept in {seconds:.0} s.");
    let mut text = format!("\n{}", wrap(&head.join(" ")));
    text += &format!("\n{}\n{}\n", table.to_text(), wrap(LEGEND));
    for line in ends.iter().chain([&took]) {
        text += &wrap(line);
    }
    let listed: Vec<String> = ends.iter().map(|l| format!("- {l}")).collect();
    let markdown = format!(
        "# cargo xtask sweep-servers\n\n{}\n\n{}\n{LEGEND} {MORE}\n\n{}\n\n{took}\n",
        head.join("\n"),
        table.to_markdown(),
        listed.join("\n"),
    );
    let json = serde_json::to_string_pretty(&Report {
        setting,
        servers: swept,
        seconds,
    })?;
    Ok(Output {
        text,
        files: vec![
            ("servers-sweep.md".into(), markdown),
            ("servers-sweep.json".into(), json),
        ],
        failures: failures(swept),
    })
}

/// What the sweep ran with: the steps, the open-file limits, the source addresses, and the
/// machine's limits on threads.
fn head(setting: &Setting) -> Vec<String> {
    let steps: Vec<String> = setting.steps.iter().map(|s| s.to_string()).collect();
    let steps = steps.join(", ");
    let mut head = vec![format!(
        "Idle connections held on one server, in steps of {steps}; at each step one more client \
         sends the ten queries."
    )];
    let refused = setting.open_files_refused.as_ref();
    head.extend(refused.map(|why| format!("Note: {why}.")));
    head.push(match setting.open_files {
        Some(OpenFiles { soft, hard }) => format!(
            "Open files: soft {soft}, hard {hard}, for this process, and the servers inherit them \
             (--open-files N sets both); the sweep holds a descriptor per connection too."
        ),
        None => "This system has no open-file limit.".into(),
    });
    let not_set = &setting.server_open_files_not_set;
    head.push(match (setting.server_open_files, not_set) {
        (Some(n), _) => format!(
            "Each server's open-file limits are then lowered to {n}, soft and hard \
             (--server-open-files N; by default the sweep's soft limit less {SERVER_MARGIN}), \
             so that it meets its own before the sweep meets its."
        ),
        (None, Some(why)) => format!("{}.", sentence(why).trim_end_matches('.')),
        (None, None) => "The servers keep the sweep's open-file limit.".into(),
    });
    head.push(format!("Connections {}.", setting.sources));
    let knobs = [
        ("vm.max_map_count", setting.max_map_count),
        ("kernel.threads-max", setting.threads_max),
        ("kernel.pid_max", setting.pid_max),
        ("fs.nr_open", setting.nr_open),
    ];
    let knobs: Vec<String> = (knobs.iter())
        .filter_map(|(name, value)| Some(format!("{name} {}", (*value)?)))
        .collect();
    if !knobs.is_empty() {
        head.push(format!("This machine: {}.", knobs.join(", ")));
    }
    head
}

/// A row per server per step.
fn table(swept: &[Swept]) -> Table {
    let rows: Vec<(&str, &Step)> = (swept.iter())
        .flat_map(|server| server.steps.iter().map(|step| (server.server, step)))
        .collect();
    Table::of_rows(&columns(), &rows)
}

/// Every column, each with its cell: the terminal shows what fits in 80 columns.
fn columns<'a>() -> [Cells<(&'a str, &'a Step)>; 11] {
    [
        (Column::text("server"), |(server, _)| server.to_string()),
        (Column::number("step"), |(_, s)| s.step.to_string()),
        (Column::number("held"), |(_, s)| s.held.to_string()),
        (Column::number("s").markdown_only(), |(_, s)| {
            format!("{:.1}", s.seconds)
        }),
        (Column::number("MiB"), |(_, s)| fixed(s.mib, 1)),
        (Column::number("threads"), |(_, s)| {
            or_dash(s.threads, |n| n.to_string())
        }),
        (Column::number("KB/conn"), |(_, s)| {
            fixed(s.bytes_each.map(|b| b / 1e3), 1)
        }),
        (Column::number("active"), |(_, s)| {
            format!("{}/{}", s.answered, s.asked)
        }),
        (Column::number("p50 ms"), |(_, s)| fixed(s.p50_ms, 1)),
        (Column::text("wrong").markdown_only(), |(_, s)| {
            s.wrong.clone().unwrap_or_default()
        }),
        (Column::text("unanswered").markdown_only(), |(_, s)| {
            s.unanswered.clone().unwrap_or_default()
        }),
    ]
}

/// A line per server: where it stopped and why.
fn ends(setting: &Setting, swept: &[Swept]) -> Vec<String> {
    (swept.iter())
        .map(|server| {
            let name = server.server;
            match &server.end {
                End::Reached => format!(
                    "{name}: held {}, as many as asked (--up-to {}): no limit met.",
                    server.steps.last().map_or(0, |s| s.held),
                    setting.up_to
                ),
                End::Stopped { held, step, stop } => format!(
                    "{name}: stopped at {held} connections, on the way to {step}: {}. {}",
                    stop.limit.label(),
                    sentence(&stop.why)
                ),
                End::NotSwept { why } => format!("{name}: not swept: {why}."),
                End::Failed { why } => format!("{name}: FAILED: {why}"),
            }
        })
        .collect()
}

/// `text` as a sentence: capitalized, and ended with a full stop unless it ends a quotation
/// that has one.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let capitalized: String = chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    });
    match capitalized.ends_with(".\"") {
        true => capitalized,
        false => capitalized + ".",
    }
}

/// A server that could not start, or an active client answered wrong, fails the sweep; a
/// limit met does not: finding it is the sweep's purpose.
fn failures(swept: &[Swept]) -> Vec<String> {
    let mut failures = Vec::new();
    for server in swept {
        let name = server.server;
        if let End::Failed { why } = &server.end {
            failures.push(format!("FAILED {name}: {why}"));
        }
        let wrong = (server.steps.iter()).filter_map(|s| Some((s.step, s.wrong.as_ref()?)));
        for (at, wrong) in wrong {
            failures.push(format!("FAILED {name} at {at}: wrong answer: {wrong}"));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servers::sweep::limits::{Limit, Stop};

    fn step(step: usize, held: usize) -> Step {
        Step {
            step,
            held,
            seconds: 0.4,
            mib: Some(25.3),
            threads: Some(4),
            bytes_each: Some(812.0),
            answered: 10,
            asked: 10,
            p50_ms: Some(0.2),
            wrong: None,
            unanswered: None,
        }
    }

    fn swept() -> Vec<Swept> {
        let stop = Stop {
            limit: Limit::Threads,
            why: "the server said \"Error: no thread\"".into(),
        };
        vec![
            Swept {
                server: "tcp_charfinder_threads",
                open_files: Some(19_000),
                warm_mib: Some(20.0),
                steps: vec![step(1_000, 1_000), step(50_000, 32_700)],
                end: End::Stopped {
                    held: 32_700,
                    step: 50_000,
                    stop,
                },
            },
            Swept {
                server: "tcp_charfinder_sequential",
                open_files: None,
                warm_mib: None,
                steps: vec![],
                end: End::NotSwept {
                    why: "one client at a time".into(),
                },
            },
        ]
    }

    #[test]
    fn the_terminal_table_fits_in_80_columns() {
        let text = table(&swept()).to_text();
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains("tcp_charfinder_threads"), "{text}");
        assert_eq!(
            text.lines().count(),
            4,
            "headers, rule, a row per step: {text}"
        );
    }

    #[test]
    fn the_head_says_the_servers_open_file_limit_or_why_it_is_not_set() {
        let mut setting = super::super::rows::tests::setting();
        let said = head(&setting).join(" ");
        assert!(said.contains("lowered to 19000, soft and hard"), "{said}");
        setting.server_open_files = None;
        setting.server_open_files_not_set = Some("only on Linux: they keep the sweep's".into());
        let said = head(&setting).join(" ");
        assert!(
            said.contains("Only on Linux: they keep the sweep's."),
            "{said}"
        );
    }

    #[test]
    fn each_server_has_a_line_saying_where_it_stopped() {
        let setting = super::super::rows::tests::setting();
        let ends = ends(&setting, &swept());
        assert_eq!(ends.len(), 2);
        assert!(
            ends[0].starts_with("tcp_charfinder_threads: stopped at 32700 connections, on the way to 50000: threads. The server said"),
            "{}",
            ends[0]
        );
        assert!(ends[1].contains("not swept: one client at a time"));
        assert!(
            failures(&swept()).is_empty(),
            "a limit met is not a failure"
        );
    }
}
