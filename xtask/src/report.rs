//! Tables for people (aligned text, Markdown), small formatting helpers, the progress line, and
//! writing the report files under `target/compare/`.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// How a column lines up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table written the same way as text on a terminal and as Markdown.
#[derive(Debug)]
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[(&str, Align)]) -> Table {
        Table {
            headers: headers
                .iter()
                .map(|&(h, align)| (h.to_owned(), align))
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(row.len(), self.headers.len(), "one cell per column");
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        self.headers
            .iter()
            .enumerate()
            .map(|(i, (header, _))| {
                let cells = self.rows.iter().map(|row| row[i].chars().count());
                cells.chain([header.chars().count()]).max().unwrap_or(0)
            })
            .collect()
    }

    /// Aligned columns, two spaces apart, a rule under the headers.
    pub fn to_text(&self) -> String {
        let widths = self.widths();
        let line = |cells: Vec<&str>| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&self.headers)
                .zip(&widths)
                .map(|((cell, (_, align)), &width)| match align {
                    Align::Left => format!("{cell:<width$}"),
                    Align::Right => format!("{cell:>width$}"),
                })
                .collect();
            padded.join("  ").trim_end().to_owned() + "\n"
        };
        let mut text = line(self.headers.iter().map(|(h, _)| h.as_str()).collect());
        text += &line(
            widths
                .iter()
                .map(|&w| &"--------------------------------"[..w.min(32)])
                .collect(),
        );
        for row in &self.rows {
            text += &line(row.iter().map(String::as_str).collect());
        }
        text
    }

    pub fn to_markdown(&self) -> String {
        let escape = |cell: &str| cell.replace('|', "\\|");
        let mut text = String::new();
        let headers: Vec<&str> = self.headers.iter().map(|(h, _)| h.as_str()).collect();
        text += &format!("| {} |\n", headers.join(" | "));
        let rules: Vec<&str> = self
            .headers
            .iter()
            .map(|(_, align)| match align {
                Align::Left => "---",
                Align::Right => "---:",
            })
            .collect();
        text += &format!("|{}|\n", rules.join("|"));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
            text += &format!("| {} |\n", cells.join(" | "));
        }
        text
    }
}

/// `1.63 s`, `0.062 s`: three significant digits or so.
pub fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.3} s")
    }
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `-` for a missing figure.
pub fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "-".into(), show)
}

/// The middle one of `values` once sorted: the true median for an odd count, the lower of the
/// two middle ones for an even count, so it is always a value that was measured.
pub fn median_index<T>(values: &[T], key: impl Fn(&T) -> f64) -> Option<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| key(&values[a]).total_cmp(&key(&values[b])));
    order.get(values.len().saturating_sub(1) / 2).copied()
}

/// One line on stderr that says what is going on, redrawn in place; silent when stderr is not a
/// terminal (a test, a pipe, a CI log).
pub struct Progress {
    on: bool,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            on: io::stderr().is_terminal(),
        }
    }

    pub fn show(&self, text: &str) {
        if self.on {
            // `\r` back to the line's start, `ESC[K` to clear what was there.
            eprint!("\r\x1b[K{text}");
            let _ = io::stderr().flush();
        }
    }

    pub fn clear(&self) {
        self.show("");
    }
}

/// Writes `contents` to `dir/name` and says where it went.
pub fn write(dir: &Path, name: &str, contents: &str) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::new(&[("program", Align::Left), ("wall", Align::Right)]);
        table.push(vec!["io_sequential".into(), seconds(8.123)]);
        table.push(vec!["io_async|x".into(), seconds(0.0625)]);
        table
    }

    #[test]
    fn text_tables_line_up() {
        assert_eq!(
            table().to_text(),
            "program           wall\n\
             -------------  -------\n\
             io_sequential   8.12 s\n\
             io_async|x     0.062 s\n"
        );
    }

    #[test]
    fn markdown_tables_escape_pipes() {
        assert_eq!(
            table().to_markdown(),
            "| program | wall |\n|---|---:|\n| io_sequential | 8.12 s |\n| io_async\\|x | 0.062 s |\n"
        );
    }

    #[test]
    fn the_median_is_a_measured_value() {
        let runs = [3.0, 1.0, 2.0];
        assert_eq!(median_index(&runs, |&x| x), Some(2));
        assert_eq!(median_index(&[5.0, 1.0, 4.0, 2.0], |&x| x), Some(3));
        assert_eq!(median_index(&[7.0], |&x| x), Some(0));
        assert_eq!(median_index::<f64>(&[], |&x| x), None);
    }

    #[test]
    fn figures_read_well() {
        assert_eq!(seconds(14.26), "14.3 s");
        assert_eq!(mib(2048), "2.0 MiB");
        assert_eq!(or_dash(None::<f64>, seconds), "-");
    }
}
