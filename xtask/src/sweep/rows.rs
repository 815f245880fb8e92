//! The sweep's rows: one for each number of sites and value of the flag, with its median run.

use contract::Line;
use serde::Serialize;

use crate::run::{Done, Figures, Measured};
use crate::verify::Faults;

/// One combination's line of the report.
#[derive(Debug, Default, Serialize)]
pub struct SweepRow {
    /// `--workers` or `--limit`.
    pub flag: &'static str,
    /// The flag's value.
    pub value: usize,
    /// Whose default the value is, when it is the one the program takes on its own: "the
    /// stand-in's default" (`download_cli::default_in_flight_cap`).
    pub default: Option<&'static str>,
    /// The cap an async program said it ran at ("At most N requests at once, ...").
    pub said_cap: Option<usize>,
    pub sites: usize,
    pub verified: bool,
    pub failure: Option<String>,
    /// With faults on: the failures by kind, beside what the stand-in injected.
    pub faults: Option<Faults>,
    /// Why it was not run.
    pub skipped: Option<String>,
    pub figures: Option<Figures>,
}

impl SweepRow {
    pub fn new(
        flag: &'static str,
        (value, default): (usize, Option<&'static str>),
        sites: usize,
    ) -> Self {
        SweepRow {
            flag,
            value,
            default,
            sites,
            ..SweepRow::default()
        }
    }

    /// What its runs came to, or why they could not be made.
    pub fn measured(&mut self, done: Done) {
        let measured = match done {
            Done::Measured(measured) => *measured,
            Done::NotRun(why) => Measured::failed(why),
        };
        let stderr = measured.median.as_ref().map(|run| &run.measurement.stderr);
        self.said_cap = stderr.and_then(|stderr| said_cap(stderr));
        self.verified = measured.verified();
        self.failure = measured.failure;
        self.faults = measured.faults;
        self.figures = measured.figures;
    }

    /// "--limit 5", or "--limit 1000, the stand-in's default".
    pub fn setting(&self) -> String {
        let whose = self.default.map(|whose| format!(", {whose}"));
        format!("{} {}{}", self.flag, self.value, whose.unwrap_or_default())
    }

    /// The row's first cell: the flag's value, "1000 (default)" for the program's own.
    pub fn label(&self) -> String {
        match self.default {
            Some(_) => format!("{} (default)", self.value),
            None => self.value.to_string(),
        }
    }
}

/// The cap an async downloader says it chose ([`contract::InFlightCap`]).
fn said_cap(stderr: &str) -> Option<usize> {
    stderr.lines().find_map(|line| match Line::parse(line) {
        Line::InFlightCap(said) => Some(said.cap),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_a_program_chose_is_read_from_its_line() {
        let stderr = "Serving the two sites locally at http://127.0.0.1:40393, 50 ms each (or --real)\n\
                      At most 1000 requests at once, the stand-in's default (--limit N to change)\n";
        assert_eq!(said_cap(stderr), Some(1000));
        assert_eq!(
            said_cap("At most 5 requests at once, set by --limit"),
            Some(5)
        );
        let one = "At most 1 request at once, all the open-file limit (33) has room for";
        assert_eq!(said_cap(one), Some(1));
        assert_eq!(said_cap("At most a few requests in flight"), None);
        assert_eq!(said_cap(""), None);
    }
}
