//! The measured figures of README.md and docs/*.md, kept in marked regions that one command
//! writes from one run (`cargo xtask compare --write-docs`) and the tidy tests check:
//!
//! ```text
//! <!-- figures:cpu run=2026-12-05T14:02:11Z hash=3f1c0a9e5b7d2c44 -->
//! ...the table, written by xtask...
//! <!-- /figures:cpu -->
//! ```
//!
//! `NAME` says which table the region holds (any command may add a name: compare's are in
//! `compare/docs.rs`), `run` which run wrote it, and `hash` is a hash of the run id and of the
//! lines between the two marks. A region edited by hand no longer matches its hash, and two
//! regions with different run ids were not written by one run: `problems` says so for both.
//! The hash guards against a slip, not a forger: FNV-1a, 64 bits.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

const OPEN: &str = "<!-- figures:";
const CLOSE: &str = "<!-- /figures:";
const END: &str = " -->";

/// One marked region of a page: its name, run id, stored hash, and the lines between its marks.
#[derive(Debug, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub run: String,
    pub hash: String,
    pub body: String,
    /// The line of its opening mark, counted from 1.
    pub line: usize,
}

/// FNV-1a over the run id and the body: 16 hex digits.
pub fn hash(run: &str, body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in run.bytes().chain([b'\n']).chain(body.bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The opening mark of a region written by `run` with `body`.
pub fn open_mark(name: &str, run: &str, body: &str) -> String {
    format!("{OPEN}{name} run={run} hash={}{END}", hash(run, body))
}

/// `(name, run, hash)` of an opening mark, or why the line is not one.
fn parse_open(line: &str) -> Result<(String, String, String), String> {
    let inner = (line.trim().strip_prefix(OPEN))
        .and_then(|l| l.strip_suffix(END))
        .ok_or("not `<!-- figures:NAME run=RUN hash=HASH -->`")?;
    let mut words = inner.split(' ');
    let name = words.next().filter(|n| !n.is_empty());
    let run = words.next().and_then(|w| w.strip_prefix("run="));
    let hash = words.next().and_then(|w| w.strip_prefix("hash="));
    match (name, run, hash, words.next()) {
        (Some(name), Some(run), Some(hash), None) => Ok((name.into(), run.into(), hash.into())),
        _ => Err("not `<!-- figures:NAME run=RUN hash=HASH -->`".into()),
    }
}

/// The regions of a page, or the first malformed mark (unclosed, nested, closed by another name).
pub fn regions(text: &str) -> Result<Vec<Region>, String> {
    let mut found = Vec::new();
    let mut open: Option<(Region, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim_start().starts_with(OPEN) {
            if let Some((region, _)) = &open {
                return Err(format!("line {number}: opened inside `{}`", region.name));
            }
            let (name, run, hash) = parse_open(line).map_err(|e| format!("line {number}: {e}"))?;
            let region = Region {
                name,
                run,
                hash,
                body: String::new(),
                line: number,
            };
            open = Some((region, Vec::new()));
        } else if let Some(name) = line.trim().strip_prefix(CLOSE) {
            let name = name.strip_suffix(END).unwrap_or(name);
            match open.take() {
                Some((mut region, lines)) if region.name == name => {
                    region.body = lines.iter().map(|l| format!("{l}\n")).collect();
                    found.push(region);
                }
                Some((region, _)) => {
                    return Err(format!("line {number}: `{name}` closes `{}`", region.name));
                }
                None => return Err(format!("line {number}: `{name}` closed but never opened")),
            }
        } else if let Some((_, lines)) = &mut open {
            lines.push(line);
        }
    }
    match open {
        Some((region, _)) => Err(format!(
            "line {}: `{}` never closed",
            region.line, region.name
        )),
        None => Ok(found),
    }
}

/// What is wrong with the regions of these pages (path, text): malformed marks, a region
/// whose contents do not match its hash (edited by hand), and regions of different runs.
/// The tidy tests ask it of every page.
#[cfg(test)]
pub fn problems(pages: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut runs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in pages {
        let regions = match regions(text) {
            Ok(regions) => regions,
            Err(e) => {
                problems.push(format!("{path}: {e}"));
                continue;
            }
        };
        for region in regions {
            let place = format!("{path}:{} `{}`", region.line, region.name);
            if hash(&region.run, &region.body) != region.hash {
                problems.push(format!(
                    "{place}: edited by hand (its hash does not match): \
                     run `cargo xtask compare --write-docs` instead"
                ));
            }
            runs.entry(region.run).or_default().push(place);
        }
    }
    if runs.len() > 1 {
        let each: Vec<String> = (runs.iter())
            .map(|(run, places)| format!("run {run}: {}", places.join(", ")))
            .collect();
        problems.push(format!(
            "the figures come from {} runs, not one: {}",
            runs.len(),
            each.join("; ")
        ));
    }
    problems
}

/// `text` with every region's body replaced by `written[name]`, marked with `run`; a region
/// whose name is not in `written` is an error, so no stale region survives a run.
pub fn rewrite(
    text: &str,
    run: &str,
    written: &BTreeMap<String, String>,
) -> Result<String, String> {
    regions(text)?;
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.trim_start().starts_with(OPEN) {
            let (name, _, _) = parse_open(line)?;
            let body = written
                .get(&name)
                .ok_or_else(|| format!("no figures named `{name}` in this run"))?;
            // The closing mark needs a line of its own, whether or not the body ended one.
            let body = match body.ends_with('\n') {
                true => body.clone(),
                false => format!("{body}\n"),
            };
            out += &format!("{}\n{body}", open_mark(&name, run, &body));
            skipping = true;
        } else if line.trim().starts_with(CLOSE) {
            out += line;
            out += "\n";
            skipping = false;
        } else if !skipping {
            out += line;
            out += "\n";
        }
    }
    Ok(out)
}

/// The pages that may hold regions: README.md and every docs/*.md, sorted.
pub fn pages(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let docs = root.join("docs");
    let mut pages = vec![root.join("README.md")];
    let listing = fs::read_dir(&docs).with_context(|| format!("cannot list {}", docs.display()))?;
    for entry in listing {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    Ok(pages)
}

/// Rewrites every region of every page under `root` from `written`, all marked `run`; returns
/// the pages that changed. Every page is checked before any is written.
pub fn write_pages(
    root: &Path,
    run: &str,
    written: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for path in pages(root)? {
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if regions(&text).is_ok_and(|r| r.is_empty()) {
            continue;
        }
        match rewrite(&text, run, written) {
            Ok(new) => changed.push((path, new)),
            Err(e) => bail!("{}: {e}", path.display()),
        }
    }
    for (path, text) in &changed {
        fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(changed.into_iter().map(|(path, _)| path).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written() -> BTreeMap<String, String> {
        let mut written = BTreeMap::new();
        written.insert(
            "cpu".to_owned(),
            "| a | b |\n|---|---|\n| 1 | 2 |\n".to_owned(),
        );
        written.insert("io".to_owned(), "one line\n".to_owned());
        written
    }

    const PAGE: &str = "# Page\n\nProse.\n\n<!-- figures:cpu run=old hash=0 -->\nstale\n\
                        <!-- /figures:cpu -->\n\nMore prose.\n<!-- figures:io run=old hash=0 -->\n\
                        <!-- /figures:io -->\n";

    #[test]
    fn a_written_page_passes_and_keeps_its_prose() {
        let page = rewrite(PAGE, "run-1", &written()).unwrap();
        assert_eq!(
            problems(&[("p.md".into(), page.clone())]),
            Vec::<String>::new()
        );
        assert!(page.contains("Prose.\n") && page.contains("More prose.\n"));
        assert!(page.contains("| 1 | 2 |\n<!-- /figures:cpu -->"));
        assert!(!page.contains("stale"));
        assert_eq!(
            rewrite(&page, "run-1", &written()).unwrap(),
            page,
            "idempotent"
        );
    }

    #[test]
    fn a_region_edited_by_hand_is_caught() {
        let page = rewrite(PAGE, "run-1", &written()).unwrap();
        let edited = page.replace("| 1 | 2 |", "| 1 | 3 |");
        let problems = problems(&[("p.md".into(), edited)]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("p.md:5 `cpu`: edited by hand"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_run_id_edited_by_hand_is_caught() {
        let page = rewrite(PAGE, "run-1", &written()).unwrap();
        let one = page
            .replacen("run=run-1", "run=run-2", 1)
            .replace("run=run-1", "run=run-2");
        assert!(problems(&[("p.md".into(), one)])[0].contains("edited by hand"));
    }

    #[test]
    fn regions_of_two_runs_are_caught() {
        let first = rewrite(PAGE, "run-1", &written()).unwrap();
        let second = rewrite(PAGE, "run-2", &written()).unwrap();
        let problems = problems(&[("a.md".into(), first), ("b.md".into(), second)]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("the figures come from 2 runs"),
            "{problems:?}"
        );
        assert!(problems[0].contains("run run-2: b.md:5 `cpu`, b.md:12 `io`"));
    }

    #[test]
    fn malformed_marks_are_caught() {
        let cases = [
            (
                "<!-- figures:a run=r hash=h -->\nx\n",
                "line 1: `a` never closed",
            ),
            (
                "x\n<!-- /figures:a -->\n",
                "line 2: `a` closed but never opened",
            ),
            (
                "<!-- figures:a run=r hash=h -->\n<!-- figures:b run=r hash=h -->\n",
                "line 2: opened inside `a`",
            ),
            (
                "<!-- figures:a run=r hash=h -->\n<!-- /figures:b -->\n",
                "line 2: `b` closes `a`",
            ),
            (
                "<!-- figures:a run=r -->\n<!-- /figures:a -->\n",
                "line 1: not `<!-- figures:",
            ),
        ];
        for (text, expected) in cases {
            let problems = problems(&[("p.md".into(), text.into())]);
            assert!(
                problems[0].starts_with(&format!("p.md: {expected}")),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn a_body_without_a_last_newline_still_closes_on_a_line_of_its_own() {
        let page = "<!-- figures:servers run=r hash=h -->\n<!-- /figures:servers -->\n";
        let written = BTreeMap::from([("servers".to_owned(), "- a note".to_owned())]);
        let page = rewrite(page, "run-1", &written).expect("rewrites");
        assert!(
            page.ends_with("- a note\n<!-- /figures:servers -->\n"),
            "{page}"
        );
        let pages = [("p.md".to_owned(), page)];
        assert_eq!(problems(&pages), Vec::<String>::new());
    }

    #[test]
    fn a_region_no_run_writes_is_refused() {
        let page = "<!-- figures:servers run=r hash=h -->\n<!-- /figures:servers -->\n";
        let refused = rewrite(page, "run-1", &written()).unwrap_err();
        assert_eq!(refused, "no figures named `servers` in this run");
    }
}
