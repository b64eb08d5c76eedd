//! [`RowRng`]: a tiny deterministic generator seeded by `(seed, row)`, so a row's random
//! choices depend only on the user's seed and the row's index in its split, never on
//! batch boundaries or on other rows.
//!
//! The stream is SplitMix64 (Steele, Lea & Flood 2014) started from
//! `mix(seed) ^ mix(row + φ)`, where `mix` is SplitMix64's finaliser and φ is
//! 0x9E3779B97F4A7C15. Not cryptographic; plenty for picking a distractor.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A per-row random stream.
#[derive(Debug, Clone)]
pub struct RowRng {
    state: u64,
}

impl RowRng {
    /// The stream of row `row` under `seed`.
    pub fn new(seed: u64, row: u64) -> Self {
        RowRng {
            state: mix(seed) ^ mix(row.wrapping_add(GOLDEN)),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// A uniform integer in `0..n` (`n` > 0), by Lemire's multiply-shift (bias < n/2⁶⁴).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A uniform index in `0..n` other than `exclude`, or `None` when there is none.
    pub fn pick_other(&mut self, n: usize, exclude: usize) -> Option<usize> {
        let others = if exclude < n { n - 1 } else { n };
        if others == 0 {
            return None;
        }
        let i = self.below(others);
        Some(if exclude < n && i >= exclude {
            i + 1
        } else {
            i
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_row_only() {
        let draw = |seed, row| RowRng::new(seed, row).next_u64();
        assert_eq!(draw(42, 7), draw(42, 7));
        assert_ne!(draw(42, 7), draw(42, 8));
        assert_ne!(draw(42, 7), draw(43, 7));
    }

    #[test]
    fn pick_other_never_returns_the_excluded_index_and_covers_the_rest() {
        let mut seen = [0usize; 5];
        for row in 0..2000 {
            let i = RowRng::new(1, row).pick_other(5, 2).unwrap();
            seen[i] += 1;
        }
        assert_eq!(seen[2], 0);
        for (i, n) in seen.iter().enumerate().filter(|(i, _)| *i != 2) {
            assert!(*n > 400, "index {i} drawn {n} times of 2000");
        }
        assert_eq!(RowRng::new(1, 0).pick_other(1, 0), None);
    }
}
