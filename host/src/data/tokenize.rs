//! Tokenization of a split's examples: which tokenizer files are used (their bytes are part
//! of the cache key), loading them through [`crate::model::load_tokenizer`], and encoding
//! with truncation on the right to `max_length` ids, like `tokenizer(text,
//! truncation=True, max_length=…)` in Python.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokenizers::Tokenizer;

use super::cache::FileDigest;
use super::progress::Progress;
use super::DataError;
use crate::model::source::{MERGES_FILE, TOKENIZER_FILE, VOCAB_FILE};
use crate::model::tokenizer::END_OF_TEXT;

/// Texts encoded per call (parallel inside the tokenizer; progress between calls).
const ENCODE_CHUNK: usize = 4096;

/// The tokenizer files of a directory: `tokenizer.json`, else `vocab.json` + `merges.txt`
/// (the rule [`crate::model::load_tokenizer`] follows).
#[derive(Debug, Clone)]
pub struct TokenizerSource {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

impl TokenizerSource {
    pub fn find(dir: &Path) -> Result<TokenizerSource, DataError> {
        let json = dir.join(TOKENIZER_FILE);
        let files = if json.is_file() {
            vec![json]
        } else {
            vec![dir.join(VOCAB_FILE), dir.join(MERGES_FILE)]
        };
        if let Some(missing) = files.iter().find(|f| !f.is_file()) {
            return Err(DataError::Tokenizer {
                dir: dir.to_path_buf(),
                message: format!(
                    "no {TOKENIZER_FILE}, and {} is missing",
                    missing.file_name().unwrap_or_default().to_string_lossy()
                ),
            });
        }
        Ok(TokenizerSource {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// SHA-256 over the files' names and bytes.
    pub fn digest(&self) -> Result<String, DataError> {
        let mut digest = FileDigest::new("tokenizer");
        for file in &self.files {
            digest.add_file(file)?;
        }
        Ok(digest.finish())
    }

    /// Loads the tokenizer whose files have `digest` ([`TokenizerSource::digest`]). The
    /// last one loaded is kept, so preparing several splits parses the files once.
    pub fn load(&self, digest: &str) -> Result<Arc<Tokenizer>, DataError> {
        static LAST: Mutex<Option<(String, Arc<Tokenizer>)>> = Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((key, tokenizer)) = last.as_ref() {
            if key == digest {
                return Ok(tokenizer.clone());
            }
        }
        let tokenizer =
            crate::model::load_tokenizer(&self.dir).map_err(|err| DataError::Tokenizer {
                dir: self.dir.clone(),
                message: err.to_string(),
            })?;
        let tokenizer = Arc::new(tokenizer);
        *last = Some((digest.to_string(), tokenizer.clone()));
        Ok(tokenizer)
    }
}

/// The padding id: GPT-2's end-of-text token.
pub fn pad_id(tokenizer: &Tokenizer, dir: &Path) -> Result<u32, DataError> {
    tokenizer
        .token_to_id(END_OF_TEXT)
        .ok_or_else(|| DataError::Tokenizer {
            dir: dir.to_path_buf(),
            message: format!("the vocabulary has no {END_OF_TEXT} token (used for padding)"),
        })
}

/// Token ids of many texts, concatenated: text `i` is `tokens[offsets[i]..offsets[i+1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Encoded {
    pub tokens: Vec<u32>,
    pub offsets: Vec<u64>,
    /// Length of each text before truncation.
    pub full_lengths: Vec<u32>,
}

/// Encodes `texts` (special tokens as the tokenizer adds them by default), keeping the
/// first `max_length` ids of each.
pub fn encode_all(
    tokenizer: &Tokenizer,
    texts: &[&str],
    max_length: usize,
    dir: &Path,
    progress: &Progress,
    label: &str,
) -> Result<Encoded, DataError> {
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    let mut task = progress.task(label, bytes);
    let mut out = Encoded {
        tokens: Vec::with_capacity(texts.len() * 32),
        offsets: Vec::with_capacity(texts.len() + 1),
        full_lengths: Vec::with_capacity(texts.len()),
    };
    out.offsets.push(0);
    let mut done = 0u64;
    for chunk in texts.chunks(ENCODE_CHUNK) {
        let encodings = tokenizer
            .encode_batch_fast(chunk.to_vec(), true)
            .map_err(|err| DataError::Tokenizer {
                dir: dir.to_path_buf(),
                message: err.to_string(),
            })?;
        for encoding in &encodings {
            let ids = encoding.get_ids();
            out.full_lengths.push(ids.len() as u32);
            out.tokens
                .extend_from_slice(&ids[..ids.len().min(max_length)]);
            out.offsets.push(out.tokens.len() as u64);
        }
        done += chunk.iter().map(|t| t.len() as u64).sum::<u64>();
        task.update(done, out.full_lengths.len() as u64);
    }
    task.finish(&format!(
        "{} texts → {} tokens",
        texts.len(),
        out.tokens.len()
    ));
    Ok(out)
}
