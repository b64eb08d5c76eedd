//! A randomly initialised GPT-2 in Hugging Face layout, for the offline demo and tests.
//!
//! [`write_tiny_model`] writes `config.json`, `model.safetensors` (keys without the
//! `transformer.` prefix, like the Hub's `gpt2`; initialised like transformers'
//! `_init_weights`) and a pure byte-level BPE tokenizer: `vocab.json` with the 256 byte
//! tokens in GPT-2's byte-to-unicode order plus `<|endoftext|>` (id 256), `merges.txt`
//! with only its `#version: 0.2` header, and the equivalent `tokenizer.json`.
//!
//! ```text
//! let spec = TinySpec::default(); // 2 layers, 2 heads, 64 dims, 256 positions
//! clora_host::model::tiny::write_tiny_model(Path::new("tiny-gpt2"), &spec, 42)?;
//! ```
use std::path::Path;

use serde_json::json;
use tch::{Device, Tensor};

use super::init;
use super::source::{CONFIG_FILE, MERGES_FILE, TOKENIZER_FILE, VOCAB_FILE, WEIGHTS_FILE};
use super::tokenizer::{load_tokenizer_files, END_OF_TEXT};
use super::weights::write_safetensors;
use super::{ModelError, TokenizerFiles};

/// The size of a tiny model.
#[derive(Debug, Clone, PartialEq)]
pub struct TinySpec {
    pub n_layer: i64,
    pub n_head: i64,
    pub n_embd: i64,
    pub n_positions: i64,
}

impl Default for TinySpec {
    /// Small enough to train a few hundred steps on 2 CPU cores in a minute or two.
    fn default() -> Self {
        TinySpec {
            n_layer: 2,
            n_head: 2,
            n_embd: 64,
            n_positions: 256,
        }
    }
}

/// 256 byte tokens + `<|endoftext|>`.
pub const TINY_VOCAB_SIZE: i64 = 257;
const INITIALIZER_RANGE: f64 = 0.02;

/// Writes a tiny random GPT-2 into `dir` (created if needed). The same `seed` gives the
/// same weights.
pub fn write_tiny_model(dir: &Path, spec: &TinySpec, seed: u64) -> Result<(), ModelError> {
    if spec.n_head <= 0
        || spec.n_embd <= 0
        || spec.n_embd % spec.n_head != 0
        || spec.n_layer <= 0
        || spec.n_positions <= 0
    {
        return Err(ModelError::Source(format!(
            "tiny model spec {spec:?}: sizes must be positive and n_embd divisible by n_head"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    write_json(&dir.join(CONFIG_FILE), &config_json(spec))?;
    write_safetensors(&dir.join(WEIGHTS_FILE), &random_weights(spec, seed))?;
    write_tokenizer(dir, spec)
}

fn config_json(spec: &TinySpec) -> serde_json::Value {
    let eos = TINY_VOCAB_SIZE - 1;
    json!({
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": TINY_VOCAB_SIZE,
        "n_positions": spec.n_positions,
        "n_ctx": spec.n_positions,
        "n_embd": spec.n_embd,
        "n_layer": spec.n_layer,
        "n_head": spec.n_head,
        "n_inner": null,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": INITIALIZER_RANGE,
        "scale_attn_weights": true,
        "bos_token_id": eos,
        "eos_token_id": eos,
        "pad_token_id": eos,
    })
}

fn random_weights(spec: &TinySpec, seed: u64) -> Vec<(String, Tensor)> {
    let d = spec.n_embd;
    let normal = |name: &str, dims: &[i64], std: f64| {
        (
            name.to_string(),
            init::normal(seed, name, dims, std, Device::Cpu),
        )
    };
    let ones = |name: String| (name, Tensor::ones([d], (tch::Kind::Float, Device::Cpu)));
    let zeros = |name: String, n: i64| (name, Tensor::zeros([n], (tch::Kind::Float, Device::Cpu)));
    // GPT-2's scaled init of the residual projections: std / √(2·n_layer).
    let proj_std = INITIALIZER_RANGE / ((2 * spec.n_layer) as f64).sqrt();
    let mut out = vec![
        normal("wte.weight", &[TINY_VOCAB_SIZE, d], INITIALIZER_RANGE),
        normal("wpe.weight", &[spec.n_positions, d], INITIALIZER_RANGE),
    ];
    for i in 0..spec.n_layer {
        let p = format!("h.{i}");
        out.push(ones(format!("{p}.ln_1.weight")));
        out.push(zeros(format!("{p}.ln_1.bias"), d));
        out.push(normal(
            &format!("{p}.attn.c_attn.weight"),
            &[d, 3 * d],
            INITIALIZER_RANGE,
        ));
        out.push(zeros(format!("{p}.attn.c_attn.bias"), 3 * d));
        out.push(normal(
            &format!("{p}.attn.c_proj.weight"),
            &[d, d],
            proj_std,
        ));
        out.push(zeros(format!("{p}.attn.c_proj.bias"), d));
        out.push(ones(format!("{p}.ln_2.weight")));
        out.push(zeros(format!("{p}.ln_2.bias"), d));
        out.push(normal(
            &format!("{p}.mlp.c_fc.weight"),
            &[d, 4 * d],
            INITIALIZER_RANGE,
        ));
        out.push(zeros(format!("{p}.mlp.c_fc.bias"), 4 * d));
        out.push(normal(
            &format!("{p}.mlp.c_proj.weight"),
            &[4 * d, d],
            proj_std,
        ));
        out.push(zeros(format!("{p}.mlp.c_proj.bias"), d));
    }
    out.push(ones("ln_f.weight".to_string()));
    out.push(zeros("ln_f.bias".to_string(), d));
    out
}

/// GPT-2's `bytes_to_unicode`, in its order: printable Latin-1 bytes map to themselves,
/// the rest to U+0100 onwards. The position in this list is the token id.
pub fn byte_level_alphabet() -> Vec<char> {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut chars: Vec<char> = (0..256u32)
        .filter(|&b| printable(b))
        .filter_map(char::from_u32)
        .collect();
    let others = (0..256u32).filter(|&b| !printable(b)).count() as u32;
    chars.extend((256..256 + others).filter_map(char::from_u32));
    chars
}

fn write_tokenizer(dir: &Path, spec: &TinySpec) -> Result<(), ModelError> {
    let mut vocab = serde_json::Map::new();
    for (id, c) in byte_level_alphabet().into_iter().enumerate() {
        vocab.insert(c.to_string(), json!(id));
    }
    vocab.insert(END_OF_TEXT.to_string(), json!(TINY_VOCAB_SIZE - 1));
    let vocab_path = dir.join(VOCAB_FILE);
    let merges_path = dir.join(MERGES_FILE);
    write_json(&vocab_path, &serde_json::Value::Object(vocab))?;
    std::fs::write(&merges_path, "#version: 0.2\n").map_err(|e| ModelError::io(&merges_path, e))?;
    let files = TokenizerFiles::VocabMerges {
        vocab: vocab_path,
        merges: merges_path,
    };
    let tokenizer = load_tokenizer_files(&files, dir)?;
    let json_path = dir.join(TOKENIZER_FILE);
    tokenizer
        .save(&json_path, true)
        .map_err(|e| ModelError::Tokenizer {
            dir: dir.to_path_buf(),
            message: e.to_string(),
        })?;
    let tokenizer_config = json!({
        "tokenizer_class": "GPT2Tokenizer",
        "model_max_length": spec.n_positions,
        "bos_token": END_OF_TEXT,
        "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "pad_token": END_OF_TEXT,
        "add_prefix_space": false,
    });
    write_json(&dir.join("tokenizer_config.json"), &tokenizer_config)
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), ModelError> {
    let text = serde_json::to_string_pretty(value).expect("a JSON value serialises");
    std::fs::write(path, text + "\n").map_err(|e| ModelError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_matches_gpt2() {
        let chars = byte_level_alphabet();
        assert_eq!(chars.len(), 256);
        assert_eq!(chars[0], '!');
        assert_eq!(chars[93], '~');
        assert_eq!(chars[188], '\u{100}'); // byte 0
        assert_eq!(chars[188 + 32], 'Ġ'); // byte 32 (space)
        let unique: std::collections::HashSet<_> = chars.iter().collect();
        assert_eq!(unique.len(), 256);
    }

    #[test]
    fn tiny_model_tokenizes_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let spec = TinySpec {
            n_layer: 1,
            n_head: 1,
            n_embd: 8,
            n_positions: 16,
        };
        write_tiny_model(dir.path(), &spec, 1).unwrap();
        let tokenizer = super::super::load_tokenizer(dir.path()).unwrap();
        let ids = tokenizer
            .encode("Hi é<|endoftext|>", false)
            .unwrap()
            .get_ids()
            .to_vec();
        // 'H' (72 → id 39), 'i' (105 → 72), 'Ġ' (space → 220), 'é' is two bytes, then EOS.
        assert_eq!(ids, vec![39, 72, 220, 127, 102, 256]);
    }
}
