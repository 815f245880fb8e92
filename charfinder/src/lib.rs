//! Fluent Python's `charindex.py`: an inverted index from each word of the Unicode characters'
//! names to the characters whose name has it, what every program of this crate searches. The
//! servers' shared protocol and plumbing are in [`tcp`].
//!
//! The names come from the `unicode_names2` crate, which carries **Unicode 17.0** (its
//! `data/UnicodeData.txt`); Python 3.11's `unicodedata` carries 14.0.0
//! (`unicodedata.unidata_version`). So a word such as `face` finds more characters here: those
//! named in Unicode 15 to 17 (U+1FAE8 SHAKING FACE, ...). Both spell out the algorithmic names
//! (`CJK UNIFIED IDEOGRAPH-4E00`, `HANGUL SYLLABLE GA`) the same way.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

pub mod tcp;

// The status line that ends an answer, which clients read its count by: one of the lines that
// `contract` keeps (as the downloaders' summary), since `cargo xtask` reads it too.
pub use contract::charfinder::{found_in, status_line};

/// One past the last code point, as the original's `sys.maxunicode + 1`.
pub const STOP_CODE: u32 = char::MAX as u32 + 1;

/// A character's Unicode name, as `unicodedata.name(char, '')` (`None` where it has none).
pub fn name(c: char) -> Option<String> {
    unicode_names2::name(c).map(|name| name.to_string())
}

/// Python's `str.isspace`, which `str.split()` and `str.strip()` use: Rust's `is_whitespace`
/// plus the four separators U+001C to U+001F, which Python counts as spaces and Unicode does not.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The original's `tokenize`: the upper-cased words, `-` read as a space. Upper-casing is
/// Unicode's full mapping in both languages (`"ﬁ"` becomes `"FI"`, `"ß"` becomes `"SS"`).
pub fn tokenize(text: &str) -> Vec<String> {
    let text = text.to_uppercase().replace('-', " ");
    text.split(is_py_space)
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The original's `InvertedIndex`, which keeps a `set` per word; here each word's characters are
/// a `Vec` in code point order (they are added in that order), so a search is a merge of sorted
/// lists and its answer comes sorted, as `format_results` wants it.
pub struct InvertedIndex {
    entries: HashMap<String, Vec<char>, BuildHasherDefault<Fnv>>,
}

/// The FNV-1a hash, for the index's words: std's default (SipHash) resists keys chosen to
/// collide, which words from Unicode's names are not, and took a fifth of the build's time.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl InvertedIndex {
    /// Every character from U+0020 to the last code point, as `InvertedIndex()`.
    pub fn new() -> InvertedIndex {
        InvertedIndex::with_range(32, STOP_CODE)
    }

    /// The characters from `start` up to `stop` (excluded), as `InvertedIndex(start, stop)`.
    pub fn with_range(start: u32, stop: u32) -> InvertedIndex {
        // Over 100,000 words (each CJK ideograph's code is one of its own): room for them
        // at once, rather than growing the table step by step.
        let mut entries: HashMap<String, Vec<char>, _> =
            HashMap::with_capacity_and_hasher(150_000, BuildHasherDefault::default());
        let mut name = String::new();
        for char in (start..stop).filter_map(char::from_u32) {
            let Some(pieces) = unicode_names2::name(char) else {
                continue;
            };
            // What `tokenize` does, without its allocations: a name is written with A to Z, 0 to
            // 9, spaces and hyphens only (Unicode's rule for names), so it is upper case already
            // and its words are what lies between spaces and hyphens. A word is copied only the
            // first time it is seen. (This makes the build about 2x faster than `tokenize`.)
            name.clear();
            name.extend(pieces);
            for word in name.split([' ', '-']).filter(|w| !w.is_empty()) {
                match entries.get_mut(word) {
                    Some(chars) => chars.push(char),
                    None => drop(entries.insert(word.to_owned(), vec![char])),
                }
            }
        }
        InvertedIndex { entries }
    }

    /// The characters whose name has `word` (upper case), as `entries[word]`.
    pub fn entries(&self, word: &str) -> &[char] {
        self.entries.get(word).map_or(&[], Vec::as_slice)
    }

    /// The characters whose name has every word of `query`, sorted; none for no words.
    pub fn search(&self, query: &str) -> Vec<char> {
        let words = tokenize(query);
        let Some((first, rest)) = words.split_first() else {
            return Vec::new();
        };
        let mut found = self.entries(first).to_vec();
        for word in rest {
            let entries = self.entries(word);
            found.retain(|c| entries.binary_search(c).is_ok());
        }
        found
    }
}

impl Default for InvertedIndex {
    fn default() -> InvertedIndex {
        InvertedIndex::new()
    }
}

/// The original's `format_results`: `U+{code:04X}\t{char}\t{name}` for each character. Each
/// line is a [`ResultLine`], written where it is displayed: a server writes an answer's lines
/// straight into the buffer it sends, with no `String` for each line or for each name.
pub fn format_results(chars: &[char]) -> impl Iterator<Item = ResultLine> + '_ {
    chars.iter().copied().map(ResultLine)
}

/// One line of [`format_results`], for `{}`: `U+{code:04X}\t{char}\t{name}`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResultLine(pub char);

impl fmt::Display for ResultLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let char = self.0;
        write!(f, "U+{:04X}\t{char}\t", u32::from(char))?;
        // The name's words, each written as it is decoded from `unicode_names2`'s tables.
        match unicode_names2::name(char) {
            Some(name) => write!(f, "{name}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The original's doctests, on the ASCII range.
    #[test]
    fn the_originals_examples() {
        let idx = InvertedIndex::with_range(32, 128);
        assert_eq!(idx.entries("DOLLAR"), ['$']);
        assert_eq!(idx.entries("SIGN"), ['#', '$', '%', '+', '<', '=', '>']);
        assert_eq!(idx.search("small a"), ['a']);
        assert_eq!(idx.entries("BRILLIG"), [] as [char; 0]);
        assert_eq!(idx.search("capital a"), ['A']);
        assert_eq!(idx.search(""), [] as [char; 0]);
        assert_eq!(idx.search(" \t\u{1f} "), [] as [char; 0]);
    }

    #[test]
    fn the_index_has_the_words_tokenize_finds() {
        let (start, stop) = (0x20, 0x3400);
        let index = InvertedIndex::with_range(start, stop);
        let mut words = 0;
        for char in (start..stop).filter_map(char::from_u32) {
            for word in tokenize(&name(char).unwrap_or_default()) {
                assert!(index.entries(&word).contains(&char), "{char:?} {word}");
                words += 1;
            }
        }
        let held: usize = index.entries.values().map(Vec::len).sum();
        assert_eq!(held, words);
    }

    #[test]
    fn words_as_python_splits_them() {
        assert_eq!(tokenize("cat-face  x\u{1c}y"), ["CAT", "FACE", "X", "Y"]);
        assert_eq!(tokenize("ﬁ straße"), ["FI", "STRASSE"]);
    }

    #[test]
    fn the_names_are_unicode_17s() {
        let index = InvertedIndex::new();
        assert_eq!(
            index.search("cat face"),
            [
                '\u{1F431}',
                '\u{1F638}',
                '\u{1F639}',
                '\u{1F63A}',
                '\u{1F63B}'
            ]
            .into_iter()
            .chain('\u{1F63C}'..='\u{1F640}')
            .collect::<Vec<_>>()
        );
        // Unicode 17.0's DISTORTED FACE; Python 3.11 (Unicode 14.0) has no name for it.
        assert_eq!(index.search("distorted face"), ['\u{1FAEA}']);
        assert_eq!(name('\u{4E00}').unwrap(), "CJK UNIFIED IDEOGRAPH-4E00");
        // The word after the hyphen, as Python splits it; U+1F229 has it too.
        assert_eq!(index.search("4e00"), ['\u{4E00}', '\u{1F229}']);
        let lines: Vec<String> = format_results(&['A']).map(|l| l.to_string()).collect();
        assert_eq!(lines, ["U+0041\tA\tLATIN CAPITAL LETTER A"]);
    }
}
