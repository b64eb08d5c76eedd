//! The prepared forms of a split and their cache payloads: [`ExampleSet`] (preprocessed
//! text + label) and [`TokenizedSplit`] (token ids, what training and evaluation read).
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::bad_rows::BadRows;
use super::codec::{Decoder, Encoder};
use super::Example;

/// Where a split came from and what was dropped (stored with both cache entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitMeta {
    /// `train`, `validation` or `test.<name>`.
    pub split: String,
    pub dataset: String,
    /// One line: hub id + split + revision, or the local files.
    pub source: String,
    /// The local files read (Hub files resolved into the HF cache).
    pub files: Vec<PathBuf>,
    /// The converter's own description (plugin name, version, digest, parameters).
    pub preprocessor: String,
    /// Source rows read (including skipped ones).
    pub rows_read: u64,
    pub bad_rows: BadRows,
}

/// Tokenization settings of a [`TokenizedSplit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizerMeta {
    pub dir: PathBuf,
    pub max_length: usize,
    /// Padding id (GPT-2's end-of-text).
    pub pad_id: u32,
}

/// Preprocessed examples of a split, with the 0-based source row of each.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleSet {
    pub meta: SplitMeta,
    pub examples: Vec<Example>,
    pub source_rows: Vec<u64>,
}

/// Token ids of a split: example `i` is `tokens[offsets[i]..offsets[i+1]]`, truncated to
/// `tokenizer.max_length`; `full_lengths[i]` is its length before truncation.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenizedSplit {
    pub meta: SplitMeta,
    pub tokenizer: TokenizerMeta,
    pub labels: Vec<u32>,
    pub source_rows: Vec<u64>,
    pub offsets: Vec<u64>,
    pub tokens: Vec<u32>,
    pub full_lengths: Vec<u32>,
}

fn meta_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("bad metadata: {e}"))
}

impl ExampleSet {
    pub fn encode(&self) -> Vec<u8> {
        let text_len: usize = self.examples.iter().map(|e| e.text.len()).sum();
        let mut enc = Encoder::with_capacity(text_len + self.examples.len() * 20 + 1024);
        enc.bytes(&meta_json(&self.meta));
        let labels: Vec<u32> = self.examples.iter().map(|e| e.label).collect();
        enc.u32s(&labels);
        enc.u64s(&self.source_rows);
        let mut offsets = Vec::with_capacity(self.examples.len() + 1);
        let mut text = Vec::with_capacity(text_len);
        offsets.push(0u64);
        for example in &self.examples {
            text.extend_from_slice(example.text.as_bytes());
            offsets.push(text.len() as u64);
        }
        enc.u64s(&offsets);
        enc.bytes(&text);
        enc.finish()
    }

    pub fn decode(payload: &[u8]) -> Result<ExampleSet, String> {
        let mut dec = Decoder::new(payload);
        let meta = parse_json(dec.bytes()?)?;
        let labels = dec.u32s()?;
        let source_rows = dec.u64s()?;
        let offsets = dec.u64s()?;
        let text = dec.bytes()?;
        dec.finish()?;
        if offsets.len() != labels.len() + 1 || source_rows.len() != labels.len() {
            return Err("inconsistent example counts".into());
        }
        let text = std::str::from_utf8(text).map_err(|e| format!("texts: {e}"))?;
        let mut examples = Vec::with_capacity(labels.len());
        for (i, label) in labels.into_iter().enumerate() {
            let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
            let slice = text
                .get(start..end)
                .ok_or_else(|| format!("text {i} out of bounds"))?;
            examples.push(Example {
                text: slice.to_string(),
                label,
            });
        }
        Ok(ExampleSet {
            meta,
            examples,
            source_rows,
        })
    }
}

impl TokenizedSplit {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Token ids of example `i` (truncated).
    pub fn ids(&self, i: usize) -> &[u32] {
        &self.tokens[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Length of example `i` after truncation.
    pub fn length(&self, i: usize) -> usize {
        (self.offsets[i + 1] - self.offsets[i]) as usize
    }

    /// Keeps only the first `n` examples (e.g. `train.max_train_samples`).
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len() {
            return;
        }
        self.labels.truncate(n);
        self.source_rows.truncate(n);
        self.full_lengths.truncate(n);
        self.offsets.truncate(n + 1);
        self.tokens.truncate(self.offsets[n] as usize);
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Encoder::with_capacity(self.tokens.len() * 4 + self.len() * 24 + 1024);
        enc.bytes(&meta_json(&self.meta));
        enc.bytes(&meta_json(&self.tokenizer));
        enc.u32s(&self.labels);
        enc.u64s(&self.source_rows);
        enc.u64s(&self.offsets);
        enc.u32s(&self.tokens);
        enc.u32s(&self.full_lengths);
        enc.finish()
    }

    pub fn decode(payload: &[u8]) -> Result<TokenizedSplit, String> {
        let mut dec = Decoder::new(payload);
        let split = TokenizedSplit {
            meta: parse_json(dec.bytes()?)?,
            tokenizer: parse_json(dec.bytes()?)?,
            labels: dec.u32s()?,
            source_rows: dec.u64s()?,
            offsets: dec.u64s()?,
            tokens: dec.u32s()?,
            full_lengths: dec.u32s()?,
        };
        dec.finish()?;
        let n = split.labels.len();
        let consistent = split.offsets.len() == n + 1
            && split.source_rows.len() == n
            && split.full_lengths.len() == n
            && split.offsets.first() == Some(&0)
            && split.offsets.windows(2).all(|w| w[0] <= w[1])
            && split.offsets.last() == Some(&(split.tokens.len() as u64));
        if consistent {
            Ok(split)
        } else {
            Err("inconsistent token offsets".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> SplitMeta {
        SplitMeta {
            split: "train".into(),
            dataset: "d".into(),
            source: "s".into(),
            files: vec![PathBuf::from("a.jsonl")],
            preprocessor: "p".into(),
            rows_read: 3,
            bad_rows: BadRows::default(),
        }
    }

    #[test]
    fn example_sets_round_trip() {
        let set = ExampleSet {
            meta: meta(),
            examples: vec![
                Example {
                    text: "héllo".into(),
                    label: 1,
                },
                Example {
                    text: String::new(),
                    label: 0,
                },
            ],
            source_rows: vec![0, 2],
        };
        assert_eq!(ExampleSet::decode(&set.encode()).unwrap(), set);
    }

    #[test]
    fn tokenized_splits_round_trip_and_truncate() {
        let mut split = TokenizedSplit {
            meta: meta(),
            tokenizer: TokenizerMeta {
                dir: "t".into(),
                max_length: 4,
                pad_id: 9,
            },
            labels: vec![1, 0, 1],
            source_rows: vec![0, 0, 1],
            offsets: vec![0, 2, 6, 7],
            tokens: vec![1, 2, 3, 4, 5, 6, 7],
            full_lengths: vec![2, 5, 1],
        };
        assert_eq!(TokenizedSplit::decode(&split.encode()).unwrap(), split);
        assert_eq!(split.ids(1), [3, 4, 5, 6]);
        split.truncate(2);
        assert_eq!(split.len(), 2);
        assert_eq!(split.tokens, [1, 2, 3, 4, 5, 6]);
        assert_eq!(TokenizedSplit::decode(&split.encode()).unwrap(), split);
        let mut bad = split.clone();
        bad.offsets[1] = 99;
        assert!(TokenizedSplit::decode(&bad.encode()).is_err());
    }
}
