//! Summary statistics of a tokenized split, as `clora-host data inspect` prints them.
use serde::{Deserialize, Serialize};

use super::TokenizedSplit;

/// Counts and token-length percentiles (of the lengths before truncation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitStats {
    pub rows_read: u64,
    pub rows_skipped: u64,
    pub examples: u64,
    /// Fraction of examples with label 1.
    pub positive_fraction: f64,
    pub length_p50: u32,
    pub length_p95: u32,
    pub length_max: u32,
    /// Examples longer than `max_length` (cut on the right).
    pub truncated: u64,
}

/// The nearest-rank percentile `p` (0–100] of sorted values.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl SplitStats {
    pub fn of(split: &TokenizedSplit) -> SplitStats {
        let mut lengths = split.full_lengths.clone();
        lengths.sort_unstable();
        let positives = split.labels.iter().filter(|&&l| l == 1).count();
        let max_length = split.tokenizer.max_length as u32;
        SplitStats {
            rows_read: split.meta.rows_read,
            rows_skipped: split.meta.bad_rows.count,
            examples: split.len() as u64,
            positive_fraction: positives as f64 / split.len().max(1) as f64,
            length_p50: percentile(&lengths, 50.0),
            length_p95: percentile(&lengths, 95.0),
            length_max: lengths.last().copied().unwrap_or(0),
            truncated: lengths.iter().filter(|&&l| l > max_length).count() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=20).collect();
        assert_eq!(percentile(&v, 50.0), 10);
        assert_eq!(percentile(&v, 95.0), 19);
        assert_eq!(percentile(&v, 100.0), 20);
        assert_eq!(percentile(&[7], 50.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
