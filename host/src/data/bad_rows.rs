//! Bookkeeping of rejected source rows: counts by reason and the first few locations,
//! rendered as the summary printed under the `skip` policy.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::RowLocation;

/// How many rejected rows are kept with their location and full reason.
pub const BAD_ROW_EXAMPLES: usize = 5;

/// Rejected rows of one split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BadRows {
    pub count: u64,
    /// Count per reason category (see [`reason_category`]).
    pub by_reason: BTreeMap<String, u64>,
    /// The first [`BAD_ROW_EXAMPLES`] rejected rows with their full reason.
    pub first: Vec<(RowLocation, String)>,
}

impl BadRows {
    pub fn record(&mut self, location: &RowLocation, reason: &str) {
        self.count += 1;
        *self.by_reason.entry(reason_category(reason)).or_default() += 1;
        if self.first.len() < BAD_ROW_EXAMPLES {
            self.first.push((location.clone(), reason.to_string()));
        }
    }

    /// The summary printed when rows were skipped, or `None` when there were none:
    /// ```text
    /// skipped 3 of 120 rows of train:
    ///   2 × missing field `…`
    ///   1 × invalid JSON
    ///   first: data/a.jsonl:7: missing field `answerKey`
    /// ```
    pub fn summary(&self, split: &str, rows_read: u64) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let mut text = format!("skipped {} of {rows_read} rows of {split}:", self.count);
        let mut reasons: Vec<_> = self.by_reason.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, count) in reasons {
            let _ = write!(text, "\n  {count} × {reason}");
        }
        for (location, reason) in &self.first {
            let _ = write!(text, "\n  e.g. {location}: {reason}");
        }
        Some(text)
    }
}

/// Groups reasons that differ only in values: text inside double or single quotes
/// becomes `…` (backticks, which name fields, stay), digit runs become `N`, and anything
/// after a `: ` is dropped (the detail of a JSON parse error, for example). At most 100
/// characters.
pub fn reason_category(reason: &str) -> String {
    let head = reason.split(": ").next().unwrap_or(reason);
    let mut out = String::with_capacity(head.len());
    let mut quote: Option<char> = None;
    let mut last_digit = false;
    for ch in head.chars() {
        match quote {
            Some(q) if ch == q => {
                out.push('…');
                out.push(ch);
                quote = None;
            }
            Some(_) => {}
            None if matches!(ch, '"' | '\'') => {
                out.push(ch);
                quote = Some(ch);
            }
            None if ch.is_ascii_digit() => {
                if !last_digit {
                    out.push('N');
                }
            }
            None => out.push(ch),
        }
        last_digit = quote.is_none() && ch.is_ascii_digit();
    }
    if quote.is_some() {
        out.push('…');
    }
    out.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn at(line: u64) -> RowLocation {
        RowLocation {
            file: PathBuf::from("d/a.jsonl"),
            line,
            parquet_row: false,
        }
    }

    #[test]
    fn reasons_are_grouped_without_their_values() {
        assert_eq!(
            reason_category("unknown answer key \"F\""),
            "unknown answer key \"…\""
        );
        assert_eq!(
            reason_category("invalid JSON: expected value at line 1 column 12"),
            "invalid JSON"
        );
        assert_eq!(
            reason_category("label 7 out of range"),
            "label N out of range"
        );
        assert_eq!(
            reason_category("missing field `stem`"),
            "missing field `stem`"
        );
        assert_eq!(reason_category("bad 'x"), "bad '…");
    }

    #[test]
    fn summary_counts_by_reason_and_shows_the_first_rows() {
        let mut bad = BadRows::default();
        assert!(bad.summary("train", 10).is_none());
        bad.record(&at(3), "unknown answer key \"F\"");
        bad.record(&at(5), "invalid JSON: eof");
        bad.record(&at(9), "unknown answer key \"G\"");
        assert_eq!(
            bad.summary("train", 10).unwrap(),
            "skipped 3 of 10 rows of train:\n  2 × unknown answer key \"…\"\n  1 × invalid JSON\n  \
             e.g. d/a.jsonl:3: unknown answer key \"F\"\n  e.g. d/a.jsonl:5: invalid JSON: eof\n  \
             e.g. d/a.jsonl:9: unknown answer key \"G\""
        );
        for line in 10..20 {
            bad.record(&at(line), "x");
        }
        assert_eq!(bad.first.len(), BAD_ROW_EXAMPLES);
        assert_eq!(bad.count, 13);
    }
}
