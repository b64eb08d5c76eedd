//! Batches of a tokenized split: dynamic padding, seeded shuffling, optional length
//! bucketing and a resumable position.
//!
//! The order of an epoch is a pure function of (seed, epoch, split size, lengths,
//! options) — [`Batcher::epoch_plan`]:
//! 1. `order = 0..n`; when shuffling, Fisher–Yates with
//!    `SplitMix64::derive(seed, epoch)` ([`super::rng`]).
//! 2. Without bucketing, `order` is cut into consecutive batches of `batch_size`.
//! 3. With bucketing, `order` is cut into windows of `batch_size × BUCKET_WINDOW`
//!    examples (the whole split when not shuffling); each window is stably sorted by
//!    token length and cut into batches; when shuffling, the list of batches is then
//!    shuffled with the same generator, so long and short batches interleave.
//! 4. With `drop_last`, the one incomplete batch (if any) is dropped before step 3's
//!    final shuffle.
//!
//! A [`BatchPosition`] (epoch, batch index) therefore resumes exactly: the same plan is
//! rebuilt and iteration restarts at that batch.
use serde::{Deserialize, Serialize};

use super::rng::SplitMix64;
use super::{DataError, TokenizedSplit};

/// Batches per bucketing window.
pub const BUCKET_WINDOW: usize = 50;

/// Where an epoch's iteration stands: the next batch to run is `batch` of `epoch`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BatchPosition {
    pub epoch: u64,
    pub batch: u64,
}

/// How to batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    pub batch_size: usize,
    /// Shuffle each epoch (training); evaluation keeps the split's order.
    pub shuffle: bool,
    pub seed: u64,
    /// Group examples of similar length (`data.bucket_by_length`).
    pub bucket_by_length: bool,
    /// Drop the incomplete batch.
    pub drop_last: bool,
}

impl BatchOptions {
    /// Training: shuffled per epoch from `seed`.
    pub fn train(batch_size: usize, seed: u64, bucket_by_length: bool) -> BatchOptions {
        BatchOptions {
            batch_size,
            shuffle: true,
            seed,
            bucket_by_length,
            drop_last: false,
        }
    }

    /// Evaluation: every example once, in order (or sorted by length with bucketing).
    pub fn eval(batch_size: usize, bucket_by_length: bool) -> BatchOptions {
        BatchOptions {
            batch_size,
            shuffle: false,
            seed: 0,
            bucket_by_length,
            drop_last: false,
        }
    }
}

/// One padded batch, row-major `[rows, seq_len]`, padded on the right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub input_ids: Vec<i64>,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Vec<i64>,
    pub labels: Vec<i64>,
    /// Real tokens per row.
    pub lengths: Vec<i64>,
    pub rows: usize,
    /// The longest row (at least 1).
    pub seq_len: usize,
    /// Index of each row's example in the split.
    pub indices: Vec<usize>,
}

/// Batches one split.
pub struct Batcher<'a> {
    split: &'a TokenizedSplit,
    options: BatchOptions,
}

impl<'a> Batcher<'a> {
    pub fn new(split: &'a TokenizedSplit, options: BatchOptions) -> Result<Batcher<'a>, DataError> {
        if options.batch_size == 0 {
            return Err(DataError::config("batch_size", "must be ≥ 1"));
        }
        Ok(Batcher { split, options })
    }

    /// Batches in every epoch.
    pub fn batches_per_epoch(&self) -> u64 {
        let (n, b) = (self.split.len(), self.options.batch_size);
        let count = if self.options.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        };
        count as u64
    }

    /// The example indices of every batch of `epoch` (see the module docs).
    pub fn epoch_plan(&self, epoch: u64) -> Vec<Vec<usize>> {
        let opts = &self.options;
        let n = self.split.len();
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = SplitMix64::derive(opts.seed, epoch);
        if opts.shuffle {
            rng.shuffle(&mut order);
        }
        let mut batches: Vec<Vec<usize>> = if opts.bucket_by_length {
            let window = if opts.shuffle {
                opts.batch_size * BUCKET_WINDOW
            } else {
                n.max(1)
            };
            order
                .chunks(window)
                .flat_map(|chunk| {
                    let mut sorted = chunk.to_vec();
                    sorted.sort_by_key(|&i| self.split.length(i));
                    sorted
                        .chunks(opts.batch_size)
                        .map(<[usize]>::to_vec)
                        .collect::<Vec<_>>()
                })
                .collect()
        } else {
            order
                .chunks(opts.batch_size)
                .map(<[usize]>::to_vec)
                .collect()
        };
        if opts.drop_last {
            batches.retain(|b| b.len() == opts.batch_size);
        }
        if opts.shuffle && opts.bucket_by_length {
            rng.shuffle(&mut batches);
        }
        batches
    }

    /// Pads the examples `indices` into one batch with the split's pad id.
    pub fn batch(&self, indices: &[usize]) -> Batch {
        let seq_len = indices
            .iter()
            .map(|&i| self.split.length(i))
            .max()
            .unwrap_or(0)
            .max(1);
        let pad = i64::from(self.split.tokenizer.pad_id);
        let rows = indices.len();
        let mut batch = Batch {
            input_ids: vec![pad; rows * seq_len],
            attention_mask: vec![0; rows * seq_len],
            labels: Vec::with_capacity(rows),
            lengths: Vec::with_capacity(rows),
            rows,
            seq_len,
            indices: indices.to_vec(),
        };
        for (row, &i) in indices.iter().enumerate() {
            let ids = self.split.ids(i);
            let start = row * seq_len;
            for (k, &id) in ids.iter().enumerate() {
                batch.input_ids[start + k] = i64::from(id);
                batch.attention_mask[start + k] = 1;
            }
            batch.labels.push(i64::from(self.split.labels[i]));
            batch.lengths.push(ids.len() as i64);
        }
        batch
    }

    /// The batches of `from.epoch` starting at `from.batch`, each with the position of
    /// the batch after it (what a checkpoint taken after that batch stores).
    pub fn iter_from(
        &self,
        from: BatchPosition,
    ) -> impl Iterator<Item = (BatchPosition, Batch)> + '_ {
        let plan = self.epoch_plan(from.epoch);
        let total = plan.len() as u64;
        plan.into_iter()
            .enumerate()
            .skip(from.batch as usize)
            .map(move |(k, indices)| {
                let k = k as u64 + 1;
                let next = if k == total {
                    BatchPosition {
                        epoch: from.epoch + 1,
                        batch: 0,
                    }
                } else {
                    BatchPosition {
                        epoch: from.epoch,
                        batch: k,
                    }
                };
                (next, self.batch(&indices))
            })
    }

    /// Every batch of one pass in evaluation order.
    pub fn iter_epoch(&self, epoch: u64) -> impl Iterator<Item = Batch> + '_ {
        self.iter_from(BatchPosition { epoch, batch: 0 })
            .map(|(_, b)| b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::split::{SplitMeta, TokenizerMeta};

    /// A split whose example i has length `lengths[i]` and tokens all equal to i.
    fn split(lengths: &[usize]) -> TokenizedSplit {
        let mut offsets = vec![0u64];
        let mut tokens = Vec::new();
        for (i, &len) in lengths.iter().enumerate() {
            tokens.extend(std::iter::repeat_n(i as u32, len));
            offsets.push(tokens.len() as u64);
        }
        TokenizedSplit {
            meta: SplitMeta {
                split: "train".into(),
                dataset: "t".into(),
                source: String::new(),
                files: vec![],
                preprocessor: String::new(),
                rows_read: lengths.len() as u64,
                bad_rows: Default::default(),
            },
            tokenizer: TokenizerMeta {
                dir: "t".into(),
                max_length: 64,
                pad_id: 999,
            },
            labels: (0..lengths.len()).map(|i| (i % 2) as u32).collect(),
            source_rows: (0..lengths.len() as u64).collect(),
            offsets,
            tokens,
            full_lengths: lengths.iter().map(|&l| l as u32).collect(),
        }
    }

    fn covers_each_once(plan: &[Vec<usize>], n: usize) {
        let mut all: Vec<usize> = plan.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn batches_are_padded_on_the_right_with_a_mask() {
        let s = split(&[3, 1, 2]);
        let b = Batcher::new(&s, BatchOptions::eval(2, false)).unwrap();
        let batch = b.batch(&[0, 1]);
        assert_eq!((batch.rows, batch.seq_len), (2, 3));
        assert_eq!(batch.input_ids, [0, 0, 0, 1, 999, 999]);
        assert_eq!(batch.attention_mask, [1, 1, 1, 1, 0, 0]);
        assert_eq!(batch.labels, [0, 1]);
        assert_eq!(batch.lengths, [3, 1]);
        let all: Vec<Vec<usize>> = b.iter_epoch(0).map(|b| b.indices).collect();
        assert_eq!(all, [vec![0, 1], vec![2]]);
        assert_eq!(b.batches_per_epoch(), 2);
    }

    #[test]
    fn shuffling_is_a_pure_function_of_seed_and_epoch() {
        let s = split(&[1; 100]);
        let plan = |seed, epoch| {
            Batcher::new(&s, BatchOptions::train(8, seed, false))
                .unwrap()
                .epoch_plan(epoch)
        };
        assert_eq!(plan(7, 3), plan(7, 3));
        assert_ne!(plan(7, 3), plan(7, 4));
        assert_ne!(plan(7, 3), plan(8, 3));
        covers_each_once(&plan(7, 3), 100);
        // Pinned: the first batch of seed 7, epoch 0 (changes only if the documented
        // algorithm changes).
        let first = &plan(7, 0)[0];
        let mut expected: Vec<usize> = (0..100).collect();
        SplitMix64::derive(7, 0).shuffle(&mut expected);
        assert_eq!(first, &expected[..8]);
    }

    #[test]
    fn bucketing_groups_similar_lengths_and_stays_deterministic() {
        let lengths: Vec<usize> = (0..1000).map(|i| 1 + (i * 37) % 60).collect();
        let s = split(&lengths);
        let bucketed = Batcher::new(&s, BatchOptions::train(10, 1, true)).unwrap();
        let plain = Batcher::new(&s, BatchOptions::train(10, 1, false)).unwrap();
        let padding = |b: &Batcher| -> usize {
            b.iter_epoch(0)
                .map(|batch| batch.rows * batch.seq_len)
                .sum::<usize>()
                - lengths.iter().sum::<usize>()
        };
        assert!(
            padding(&bucketed) * 5 < padding(&plain),
            "{} vs {}",
            padding(&bucketed),
            padding(&plain)
        );
        assert_eq!(bucketed.epoch_plan(2), bucketed.epoch_plan(2));
        covers_each_once(&bucketed.epoch_plan(2), 1000);
        // Within a batch, lengths are close (sorted windows of 500 examples).
        for batch in bucketed.epoch_plan(0) {
            let ls: Vec<usize> = batch.iter().map(|&i| lengths[i]).collect();
            assert!(
                ls.iter().max().unwrap() - ls.iter().min().unwrap() <= 3,
                "{ls:?}"
            );
        }
        let eval = Batcher::new(&s, BatchOptions::eval(10, true)).unwrap();
        let order: Vec<usize> = eval
            .epoch_plan(0)
            .concat()
            .iter()
            .map(|&i| lengths[i])
            .collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_position_resumes_exactly_and_drop_last_drops_one_batch() {
        let s = split(&[2; 23]);
        let b = Batcher::new(&s, BatchOptions::train(5, 9, true)).unwrap();
        let full: Vec<(BatchPosition, Vec<usize>)> = b
            .iter_from(BatchPosition { epoch: 4, batch: 0 })
            .map(|(p, x)| (p, x.indices))
            .collect();
        assert_eq!(full.len(), 5);
        let resumed: Vec<(BatchPosition, Vec<usize>)> = b
            .iter_from(full[1].0)
            .map(|(p, x)| (p, x.indices))
            .collect();
        assert_eq!(resumed, full[2..]);
        assert_eq!(full[4].0, BatchPosition { epoch: 5, batch: 0 });

        let mut opts = BatchOptions::train(5, 9, false);
        opts.drop_last = true;
        let dropped = Batcher::new(&s, opts).unwrap();
        assert_eq!(dropped.batches_per_epoch(), 4);
        assert!(dropped.epoch_plan(0).iter().all(|b| b.len() == 5));
        assert!(Batcher::new(&s, BatchOptions::eval(0, false)).is_err());
    }
}
