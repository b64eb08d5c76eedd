//! GPT-2's tokenizer from a model directory: `tokenizer.json`, or a byte-level BPE built
//! from `vocab.json` + `merges.txt` exactly as `GPT2TokenizerFast` does.
use std::path::Path;

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, Tokenizer};

use super::source::{TokenizerFiles, MERGES_FILE, TOKENIZER_FILE, VOCAB_FILE};
use super::ModelError;

/// GPT-2's end-of-text token, also used for padding.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// Loads the tokenizer of the model in `dir` (`tokenizer.json` preferred).
pub fn load_tokenizer(dir: &Path) -> Result<Tokenizer, ModelError> {
    let json = dir.join(TOKENIZER_FILE);
    let files = if json.is_file() {
        TokenizerFiles::Json(json)
    } else {
        TokenizerFiles::VocabMerges {
            vocab: dir.join(VOCAB_FILE),
            merges: dir.join(MERGES_FILE),
        }
    };
    load_tokenizer_files(&files, dir)
}

/// Loads a tokenizer from resolved files (`dir` is only used in error messages).
pub fn load_tokenizer_files(files: &TokenizerFiles, dir: &Path) -> Result<Tokenizer, ModelError> {
    let error = |message: String| ModelError::Tokenizer {
        dir: dir.to_path_buf(),
        message,
    };
    match files {
        TokenizerFiles::Json(path) => {
            Tokenizer::from_file(path).map_err(|e| error(format!("{}: {e}", path.display())))
        }
        TokenizerFiles::VocabMerges { vocab, merges } => {
            for path in [vocab, merges] {
                if !path.is_file() {
                    return Err(error(format!(
                        "no {TOKENIZER_FILE}, and {} is missing",
                        path.display()
                    )));
                }
            }
            let (vocab, merges) = (vocab.to_string_lossy(), merges.to_string_lossy());
            let bpe = BPE::from_file(&vocab, &merges)
                .build()
                .map_err(|e| error(e.to_string()))?;
            let mut tokenizer = Tokenizer::new(bpe);
            tokenizer
                .with_pre_tokenizer(Some(ByteLevel::new(false, true, true)))
                .with_post_processor(Some(ByteLevel::new(false, true, true)))
                .with_decoder(Some(ByteLevelDecoder::default()));
            tokenizer.add_special_tokens(&[AddedToken::from(END_OF_TEXT, true)]);
            Ok(tokenizer)
        }
    }
}
