//! # Character finder: Unicode characters by the words of their names
//!
//! Ports Fluent Python's
//! [`charindex.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/21-async/mojifinder/charindex.py)
//! as a command: it builds the inverted index (the crate's library) and prints what it finds.
//!
//!     cargo run --release -p charfinder -- cat face
//!
//! What to watch for: the index holds every named character from U+0020 on, built at each
//! start; here it carries Unicode 17.0, where Python 3.11 has 14.0, so `face` finds more. The
//! servers search the same index: `tcp_charfinder`, `http_charfinder`; see `docs/servers.md`.
//!
//! ```text
//! U+1F431    🐱    CAT FACE
//! ...
//! U+1F640    🙀    WEARY CAT FACE
//! ────────────────────────────────────────────────────────────────── 10 found
//! ```

use std::process::ExitCode;

use charfinder::{InvertedIndex, format_results, status_line};
use clap::Parser;

/// Finds Unicode characters whose names have every one of the words.
#[derive(Parser)]
struct Args {
    /// Words to search for, in any case (`cat face`, `right-pointing`).
    words: Vec<String>,
}

fn main() -> ExitCode {
    let args: Args = contract::parse_args();
    if args.words.is_empty() {
        println!("Please give one or more words to search.");
        return ExitCode::from(2); // command line usage error
    }
    let index = InvertedIndex::new();
    let chars = index.search(&args.words.join(" "));
    for line in format_results(&chars) {
        println!("{line}");
    }
    println!("{}", status_line(chars.len()));
    ExitCode::SUCCESS
}
