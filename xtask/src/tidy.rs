//! Keeps what a reader of the examples relies on, as rust-analyzer's `xtask/src/tidy.rs` keeps
//! its code base: tests that read the sources, never run them. They hold every program to
//! ARCHITECTURE.md's "Conventions" (its `//!` header's parts, a pinned link to its original or
//! the Python documentation of the API it ports, links that lead somewhere, the regions that
//! siblings share kept byte-identical), checking the parts, not the wording of the prose; and
//! the docs to their measured regions (`figures.rs`) and README.md to its length.

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::{Path, PathBuf};

    use crate::programs::PROGRAMS;

    /// ARCHITECTURE.md's "Conventions": about ten to fifteen lines; past 20, the rest belongs
    /// in a page under docs/.
    const MAX_HEADER_LINES: usize = 20;

    const REGION: &str = "// region:";
    const ENDREGION: &str = "// endregion:";

    fn workspace() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask sits in the workspace")
    }

    /// Where a program's `main` lives: the package's main.rs, or its src/bin/NAME.rs.
    fn source(package: &str, name: &str) -> PathBuf {
        let src = workspace().join(package).join("src");
        match package == name {
            true => src.join("main.rs"),
            false => src.join("bin").join(format!("{name}.rs")),
        }
    }

    /// The header's lines without their `//!`, and the sample-output lines (inside a ```text
    /// block) told apart from the prose around them.
    struct Header<'a> {
        lines: Vec<&'a str>,
        prose: Vec<&'a str>,
        sample: Option<Vec<&'a str>>,
    }

    impl<'a> Header<'a> {
        fn parse(text: &'a str) -> Self {
            let lines: Vec<&str> = text
                .lines()
                .map_while(|l| l.strip_prefix("//!"))
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect();
            let (mut prose, mut sample, mut in_sample) = (Vec::new(), None, false);
            for &line in &lines {
                match (in_sample, line.trim_end()) {
                    (false, "```text") => {
                        in_sample = true;
                        sample.get_or_insert_with(Vec::new);
                    }
                    (true, "```") => in_sample = false,
                    (true, _) => sample.get_or_insert_with(Vec::new).push(line),
                    (false, _) => prose.push(line),
                }
            }
            Header {
                lines,
                prose,
                sample,
            }
        }
    }

    /// The words of some lines, split where a link or a path cannot go on (spaces, backticks,
    /// brackets, quotes), with the punctuation that ends a sentence trimmed.
    fn words<'a>(lines: &[&'a str]) -> Vec<&'a str> {
        lines
            .iter()
            .flat_map(|l| l.split(|c: char| c.is_whitespace() || "`<>()[]\"'".contains(c)))
            .map(|w| w.trim_end_matches(['.', ',', ':', ';', '!', '?']))
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// A word that names a file or folder of the repository: `docs/io.md`, `io_async/src/bin/`.
    fn is_repository_path(word: &str) -> bool {
        let last = word.rsplit('/').next().unwrap_or(word);
        word.contains('/')
            && !word.starts_with('/')
            && word.chars().any(|c| c.is_ascii_alphabetic())
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
            && (last.contains('.') || word.ends_with('/'))
    }

    /// `/home/me/...`, `~/src/...`, `C:\Users\...`: a path that only means something on one
    /// machine.
    fn is_absolute_path(word: &str) -> bool {
        let rooted = word.strip_prefix('/').is_some_and(|rest| {
            rest.starts_with(|c: char| c.is_ascii_alphanumeric()) && rest.contains('/')
        });
        rooted || word.starts_with("~/") || word.get(1..3) == Some(":\\")
    }

    /// A GitHub link to one version of a file: `.../blob/<40 hex digits>/...`.
    fn is_pinned(url: &str) -> bool {
        url.split("/blob/").nth(1).is_some_and(|rest| {
            rest.split('/').next().is_some_and(|commit| {
                commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit())
            })
        })
    }

    /// A page of the official Python 3 documentation: `https://docs.python.org/3/library/...`,
    /// which stays put as a pinned commit does (Python 2's pages do not count).
    fn is_python_docs(url: &str) -> bool {
        url.strip_prefix("https://docs.python.org/3/")
            .is_some_and(|rest| !rest.is_empty())
    }

    /// `Elapsed time: 1.23s`, `20 downloads in 0.35s`: Fluent Python's way of giving a time.
    fn ends_in_seconds(line: &str) -> bool {
        line.trim_end()
            .strip_suffix('s')
            .and_then(|rest| rest.rsplit(' ').next())
            .is_some_and(|n| n.contains('.') && n.parse::<f64>().is_ok())
    }

    /// "110 lines", "90-line": a count of the file's own lines, which goes stale with any edit.
    fn mentions_a_line_count(words: &[&str]) -> bool {
        let number = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == ',');
        words
            .windows(2)
            .any(|pair| number(pair[0]) && pair[1].starts_with("line"))
            || words.iter().any(|w| {
                w.split_once('-')
                    .is_some_and(|(n, rest)| number(n) && rest.starts_with("line"))
            })
    }

    /// Every way a program's header can fall short. `exists` says whether a repository path
    /// exists, so the check also runs on text that is not in the repository.
    fn header_problems(
        package: &str,
        name: &str,
        text: &str,
        exists: &dyn Fn(&str) -> bool,
    ) -> Vec<String> {
        let header = Header::parse(text);
        let mut problems = Vec::new();
        let mut expect = |ok: bool, what: &str| {
            if !ok {
                problems.push(format!("{name}: {what}"));
            }
        };
        expect(
            header.lines.first().is_some_and(|l| l.starts_with("# ")),
            "a `//! # Title` first",
        );
        expect(
            header.lines.len() <= MAX_HEADER_LINES,
            &format!(
                "a header of {} lines: at most {MAX_HEADER_LINES}; the rest goes to a page under docs/",
                header.lines.len()
            ),
        );
        let run = match package == name {
            true => format!("    cargo run --release -p {package}"),
            false => format!("    cargo run --release -p {package} --bin {name}"),
        };
        let runs: Vec<&&str> = header
            .prose
            .iter()
            .filter(|l| l.starts_with("    cargo run"))
            .collect();
        expect(!runs.is_empty(), "how to run it, indented four spaces");
        expect(
            runs.iter().all(|l| l.starts_with(&run)),
            &format!("runs it with `{}`", run.trim_start()),
        );
        expect(
            header
                .prose
                .iter()
                .any(|l| l.to_lowercase().contains("watch for")),
            "says what to watch for",
        );
        expect(
            header.sample.as_ref().is_some_and(|sample| {
                sample.iter().any(|l| {
                    l.contains(" seconds") || l.contains("Answer: 42") || ends_in_seconds(l)
                })
            }),
            "a sample of its output in a ```text block, with its time or its answer",
        );

        let prose = words(&header.prose);
        let urls: Vec<&str> = prose
            .iter()
            .copied()
            .filter(|w| w.starts_with("https://"))
            .collect();
        expect(
            urls.iter()
                .any(|u| (u.ends_with(".py") && is_pinned(u)) || is_python_docs(u)),
            "a link to the Python original, pinned to a commit (`.../blob/<commit>/....py`), \
             or to the Python documentation of the API it ports (`https://docs.python.org/3/...`)",
        );
        for url in &urls {
            let host = url.trim_start_matches("https://").split('/').next();
            expect(
                host.is_some_and(|h| h.contains('.')),
                &format!("`{url}` is not a whole URL"),
            );
        }
        for word in prose.iter().filter(|w| w.starts_with("http://")) {
            expect(false, &format!("`{word}`: links are https"));
        }
        let paths: Vec<&str> = prose
            .iter()
            .copied()
            .filter(|w| is_repository_path(w))
            .collect();
        for path in &paths {
            expect(
                exists(path),
                &format!("`{path}` is not a path in the repository"),
            );
        }
        expect(
            paths.iter().any(|p| p.starts_with("docs/")),
            "links its family's page under docs/",
        );

        let all = words(&header.lines);
        expect(
            !mentions_a_line_count(&all),
            "mentions a line count, which the next edit makes wrong",
        );
        expect(
            !header.lines.iter().any(|l| l.contains("-ko.md")),
            "names a `-ko.md` article, which is not in the repository: link the public original",
        );
        for word in all.iter().filter(|w| is_absolute_path(w)) {
            expect(
                false,
                &format!("`{word}` is a path of one machine (in the sample, write `...`)"),
            );
        }
        problems
    }

    /// The marked regions of one file, by name, each the exact text between its two marks.
    fn regions(file: &str, text: &str) -> Result<Vec<(String, String)>, String> {
        let mut found: Vec<(String, String)> = Vec::new();
        let mut open: Option<(String, Vec<&str>)> = None;
        for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            let mark = line.trim_start();
            if let Some(name) = mark.strip_prefix(REGION).map(str::trim) {
                if let Some((outer, _)) = &open {
                    return Err(format!(
                        "{file}:{number}: region `{name}` opens inside `{outer}`"
                    ));
                }
                if found.iter().any(|(n, _)| n == name) {
                    return Err(format!("{file}:{number}: region `{name}` is marked twice"));
                }
                open = Some((name.to_string(), Vec::new()));
            } else if let Some(name) = mark.strip_prefix(ENDREGION).map(str::trim) {
                match open.take() {
                    Some((opened, body)) if opened == name => {
                        found.push((opened, body.join("\n")));
                    }
                    _ => {
                        return Err(format!(
                            "{file}:{number}: `endregion: {name}` closes no open region `{name}`"
                        ));
                    }
                }
            } else if let Some((_, body)) = &mut open {
                body.push(line);
            }
        }
        match open {
            Some((name, _)) => Err(format!("{file}: region `{name}` is never closed")),
            None => Ok(found),
        }
    }

    /// Every shared region that is malformed, marked in one file only, or not byte-identical
    /// across the files that carry it. `files` are (path, text).
    fn region_problems(files: &[(String, String)]) -> Vec<String> {
        let mut problems = Vec::new();
        let mut by_name: BTreeMap<String, Vec<(&str, String)>> = BTreeMap::new();
        for (path, text) in files {
            match regions(path, text) {
                Ok(found) => {
                    for (name, body) in found {
                        by_name.entry(name).or_default().push((path, body));
                    }
                }
                Err(problem) => problems.push(problem),
            }
        }
        for (name, copies) in &by_name {
            let (first, model) = &copies[0];
            if copies.len() == 1 {
                problems.push(format!(
                    "region `{name}` is marked in {first} only: a shared region needs a sibling"
                ));
            }
            for (path, body) in &copies[1..] {
                if body != model {
                    let line = model
                        .lines()
                        .zip(body.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or_else(|| model.lines().count().min(body.lines().count()));
                    problems.push(format!(
                        "region `{name}` differs between {first} and {path}, from its line {}: \
                         edit every copy alike",
                        line + 1
                    ));
                }
            }
        }
        problems
    }

    /// Every Rust source of the examples and their support crates (not xtask, whose tests
    /// spell the marks out).
    fn example_sources() -> Vec<(String, String)> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("a readable directory").path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.starts_with('.') || name == "target" || name == "xtask" {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, found);
                } else if name.ends_with(".rs") {
                    found.push(path);
                }
            }
        }
        let mut paths = Vec::new();
        walk(workspace(), &mut paths);
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let text =
                    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let relative = path.strip_prefix(workspace()).unwrap_or(&path);
                (relative.display().to_string(), text)
            })
            .collect()
    }

    #[test]
    fn every_example_has_a_usable_header() {
        let exists = |path: &str| workspace().join(path).exists();
        let mut found = Vec::new();
        for program in PROGRAMS {
            let path = source(program.package, program.binary);
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            found.extend(header_problems(
                program.package,
                program.binary,
                &text,
                &exists,
            ));
        }
        assert!(found.is_empty(), "headers to mend:\n{}", found.join("\n"));
    }

    #[test]
    fn shared_regions_are_identical() {
        let sources = example_sources();
        let problems = region_problems(&sources);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        // The regions the examples share today, so that losing a mark fails too.
        let marked: Vec<String> = sources
            .iter()
            .flat_map(|(path, text)| regions(path, text).expect("checked above"))
            .map(|(name, _)| name)
            .collect();
        for name in ["cpu_bound", "new_session", "spin"] {
            assert!(
                marked.iter().any(|n| n == name),
                "no region `{name}` is marked"
            );
        }
    }

    /// `cargo run -p PACKAGE`, as the README says, must know which binary to run.
    #[test]
    fn every_package_with_the_name_of_a_program_runs_it_by_default() {
        for program in PROGRAMS.iter().filter(|p| p.package == p.name) {
            let manifest = workspace().join(program.package).join("Cargo.toml");
            let manifest = fs::read_to_string(&manifest).expect("the package has a manifest");
            let has_other_bins = workspace().join(program.package).join("src/bin").exists();
            let default_run = format!("default-run = \"{}\"", program.name);
            assert!(
                !has_other_bins || manifest.contains(&default_run),
                "{}: `{default_run}` in its Cargo.toml",
                program.package
            );
        }
    }

    /// README.md and docs/*.md: their measured tables are as `cargo xtask compare
    /// --write-docs` wrote them (`figures.rs`): none edited by hand, all from one run.
    #[test]
    fn the_docs_figures_are_one_runs_untouched() {
        let pages: Vec<(String, String)> = (crate::figures::pages(workspace()).expect("pages"))
            .into_iter()
            .map(|path| {
                let text = fs::read_to_string(&path).expect("a page reads");
                let relative = path.strip_prefix(workspace()).unwrap_or(&path);
                (relative.display().to_string(), text)
            })
            .collect();
        let problems = crate::figures::problems(&pages);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// README.md reads in one sitting: under 250 lines, no prose line over 100 characters
    /// (tables, code blocks and the marked figures aside).
    #[test]
    fn the_readme_is_short() {
        let readme = fs::read_to_string(workspace().join("README.md")).expect("README.md");
        let lines: Vec<&str> = readme.lines().collect();
        assert!(lines.len() < 250, "README.md has {} lines", lines.len());
        let mut in_code = false;
        for (i, line) in lines.iter().enumerate() {
            in_code ^= line.starts_with("```");
            let prose = !in_code && !line.starts_with('|') && !line.starts_with("    ");
            let long = line.chars().count() > 100 && !line.starts_with("<!--");
            assert!(!(prose && long), "README.md:{}: over 100 characters", i + 1);
        }
    }

    const ORIGINAL: &str = "https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_non_concurrent.py";

    /// A header with every part, for the tests below to spoil one part at a time.
    fn good_header() -> String {
        format!(
            "//! # I/O-bound, sequential\n\
             //!\n\
             //! Ports [`io_non_concurrent.py`]({ORIGINAL}). More in `docs/io.md`.\n\
             //!\n\
             //!     cargo run --release -p io_x\n\
             //!\n\
             //! What to watch for: 160 x 50 ms = 8 s, the I/O-bound baseline.\n\
             //!\n\
             //! ```text\n\
             //! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org\n\
             //! Downloaded 160 sites in 8.1 seconds\n\
             //! ```\n\
             \n\
             fn main() {{}}\n"
        )
    }

    fn check(text: &str) -> Vec<String> {
        header_problems("io_x", "io_x", text, &|path| path == "docs/io.md")
    }

    #[test]
    fn a_header_with_every_part_passes() {
        assert_eq!(check(&good_header()), Vec::<String>::new());
    }

    /// A program with no public Python source may link the API it ports in Python's own
    /// documentation instead; any other unpinned link still fails.
    #[test]
    fn a_link_to_the_python_documentation_stands_for_the_original() {
        let docs = "https://docs.python.org/3/library/asyncio-task.html#asyncio.gather";
        let good = good_header().replacen(ORIGINAL, docs, 1);
        assert!(!good.contains(ORIGINAL));
        assert_eq!(check(&good), Vec::<String>::new());
        for not in [
            "https://docs.python.org/2/library/time.html#time.sleep",
            "https://docs.python.org/3/",
            "https://www.tornadoweb.org/en/stable/gen.html",
        ] {
            let found = check(&good_header().replacen(ORIGINAL, not, 1));
            assert!(
                found
                    .iter()
                    .any(|p| p.contains("a link to the Python original")),
                "{not}: {found:#?}"
            );
        }
    }

    #[test]
    fn a_bare_example_is_caught() {
        let found = check("fn main() {}\n");
        // Title, run command, watch for, sample, original, docs page.
        assert_eq!(found.len(), 6, "{found:#?}");
    }

    #[test]
    fn each_spoiled_part_is_caught() {
        let good = good_header();
        let spoiled = [
            ("//! # I/O-bound", "//! I/O-bound", "a `//! # Title` first"),
            (
                "/blob/44102811bdc432a68a0e0480a748da109502112f/",
                "/blob/master/",
                "pinned",
            ),
            (
                "`docs/io.md`",
                "`docs/gone.md`",
                "`docs/gone.md` is not a path",
            ),
            ("More in", "About 110 lines. More in", "line count"),
            (
                "More in",
                "See realpython-concurrency-ko.md. More in",
                "-ko.md",
            ),
            ("-p io_x", "-p io_y", "runs it with"),
            ("What to watch for", "What happens", "watch for"),
            ("in 8.1 seconds", "", "a sample of its output"),
            (
                "Downloaded 160",
                "/home/me/target/release/io_x\n//! Downloaded 160",
                "a path of one machine",
            ),
            ("Ports", "Ports http://example.com and", "links are https"),
        ];
        for (from, to, expected) in spoiled {
            assert!(good.contains(from), "{from}");
            let found = check(&good.replacen(from, to, 1));
            assert!(
                found.iter().any(|p| p.contains(expected)),
                "{from} -> {to}: expected {expected:?} in {found:#?}"
            );
        }
        let long = good.replacen("//!\n", &"//!\n".repeat(12), 1);
        assert!(check(&long).iter().any(|p| p.contains("at most 20")));
    }

    #[test]
    fn words_that_look_like_paths_are_told_apart() {
        for path in [
            "docs/io.md",
            "io_async/src/bin/",
            "spinner/src/bin/spinner_async.rs",
        ] {
            assert!(is_repository_path(path), "{path}");
        }
        for not in ["I/O-bound", "async/await", "/", "|/-\\", "n(n-1)(2n-1)/6"] {
            assert!(!is_repository_path(not), "{not}");
        }
        assert!(is_absolute_path(
            "/home/me/project/target/release/spinner_process"
        ));
        assert!(is_absolute_path("~/src/x"));
        assert!(!is_absolute_path("/"));
        assert!(!is_absolute_path("/dice"));
    }

    fn sibling(body: &str) -> String {
        format!(
            "use std::hint::black_box;\n\n// region: cpu_bound\n{body}// endregion: cpu_bound\n\nfn main() {{}}\n"
        )
    }

    const CPU_BOUND: &str = "fn cpu_bound(n: u64) -> u128 {\n    (0..n).map(|i| u128::from(black_box(i)).pow(2)).sum()\n}\n";

    #[test]
    fn identical_regions_pass() {
        let files = [
            ("a/src/main.rs".to_string(), sibling(CPU_BOUND)),
            ("b/src/main.rs".to_string(), sibling(CPU_BOUND)),
        ];
        assert_eq!(region_problems(&files), Vec::<String>::new());
    }

    /// The point of the marks: one sibling edited alone fails the test, not a reviewer.
    #[test]
    fn a_shared_region_edited_in_one_sibling_only_is_caught() {
        let edited = CPU_BOUND.replace("pow(2)", "pow(3)");
        let files = [
            ("a/src/main.rs".to_string(), sibling(CPU_BOUND)),
            ("b/src/main.rs".to_string(), sibling(CPU_BOUND)),
            ("c/src/main.rs".to_string(), sibling(&edited)),
        ];
        let found = region_problems(&files);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("`cpu_bound`"), "{found:#?}");
        assert!(
            found[0].contains("a/src/main.rs and c/src/main.rs"),
            "{found:#?}"
        );
        assert!(found[0].contains("from its line 2"), "{found:#?}");
        // Whitespace counts: byte-identical means byte-identical.
        let indented = CPU_BOUND.replace("    (0..n)", "  (0..n)");
        let files = [
            ("a/src/main.rs".to_string(), sibling(CPU_BOUND)),
            ("b/src/main.rs".to_string(), sibling(&indented)),
        ];
        assert_eq!(region_problems(&files).len(), 1);
    }

    #[test]
    fn malformed_marks_are_caught() {
        let lonely = [("a/src/main.rs".to_string(), sibling(CPU_BOUND))];
        assert!(region_problems(&lonely)[0].contains("marked in a/src/main.rs only"));
        let unclosed = "// region: x\nfn x() {}\n";
        assert!(
            regions("a.rs", unclosed)
                .unwrap_err()
                .contains("never closed")
        );
        let crossed = "// region: x\n// endregion: y\n";
        assert!(
            regions("a.rs", crossed)
                .unwrap_err()
                .contains("closes no open region")
        );
        let nested = "// region: x\n// region: y\n// endregion: y\n// endregion: x\n";
        assert!(
            regions("a.rs", nested)
                .unwrap_err()
                .contains("opens inside")
        );
        let twice = "// region: x\n// endregion: x\n// region: x\n// endregion: x\n";
        assert!(regions("a.rs", twice).unwrap_err().contains("marked twice"));
    }
}
