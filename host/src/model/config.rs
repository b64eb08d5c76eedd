//! [`Gpt2Config`]: the GPT-2 family's Hugging Face `config.json`, with presets.
//!
//! One config drives every size (gpt2, distilgpt2, gpt2-medium/large/xl); the fields
//! and defaults are those of `transformers.GPT2Config`.
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ModelError;

/// The activation functions `transformers.activations.ACT2FN` offers that GPT-2 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`: the tanh approximation.
    GeluTanh,
    /// `gelu`: the exact erf form.
    Gelu,
    Relu,
    Silu,
}

/// GPT-2's `config.json` (unknown keys are ignored, as transformers does).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Gpt2Config {
    pub vocab_size: i64,
    pub n_positions: i64,
    pub n_embd: i64,
    pub n_layer: i64,
    pub n_head: i64,
    /// MLP width; `None` means 4 × n_embd.
    pub n_inner: Option<i64>,
    pub activation_function: String,
    pub resid_pdrop: f64,
    pub embd_pdrop: f64,
    pub attn_pdrop: f64,
    pub layer_norm_epsilon: f64,
    pub initializer_range: f64,
    pub scale_attn_weights: bool,
    pub scale_attn_by_inverse_layer_idx: bool,
    pub bos_token_id: Option<i64>,
    pub eos_token_id: Option<i64>,
    /// Padding token; GPT-2 has none, and clora-host pads with `eos_token_id`.
    pub pad_token_id: Option<i64>,
    pub model_type: Option<String>,
}

impl Default for Gpt2Config {
    /// `transformers.GPT2Config()`, i.e. the 124M `gpt2`.
    fn default() -> Self {
        Gpt2Config {
            vocab_size: 50257,
            n_positions: 1024,
            n_embd: 768,
            n_layer: 12,
            n_head: 12,
            n_inner: None,
            activation_function: "gelu_new".to_string(),
            resid_pdrop: 0.1,
            embd_pdrop: 0.1,
            attn_pdrop: 0.1,
            layer_norm_epsilon: 1e-5,
            initializer_range: 0.02,
            scale_attn_weights: true,
            scale_attn_by_inverse_layer_idx: false,
            bos_token_id: Some(50256),
            eos_token_id: Some(50256),
            pad_token_id: None,
            model_type: Some("gpt2".to_string()),
        }
    }
}

impl Gpt2Config {
    /// The sizes published on the Hub: `gpt2`, `distilgpt2`, `gpt2-medium`,
    /// `gpt2-large`, `gpt2-xl`.
    pub fn preset(name: &str) -> Option<Self> {
        let (n_layer, n_embd, n_head) = match name {
            "gpt2" => (12, 768, 12),
            "distilgpt2" => (6, 768, 12),
            "gpt2-medium" => (24, 1024, 16),
            "gpt2-large" => (36, 1280, 20),
            "gpt2-xl" => (48, 1600, 25),
            _ => return None,
        };
        Some(Gpt2Config {
            n_layer,
            n_embd,
            n_head,
            ..Gpt2Config::default()
        })
    }

    /// Reads and validates `config.json`.
    pub fn from_file(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        let config: Gpt2Config =
            serde_json::from_str(&text).map_err(|source| ModelError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        config.validate().map_err(|message| ModelError::Config {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(config)
    }

    /// Checks the values this implementation relies on.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(kind) = self.model_type.as_deref() {
            if kind != "gpt2" {
                return Err(format!("model_type is `{kind}`, only `gpt2` is supported"));
            }
        }
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("n_positions", self.n_positions),
            ("n_embd", self.n_embd),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
        ] {
            if value <= 0 {
                return Err(format!("{name} must be positive, got {value}"));
            }
        }
        if self.n_embd % self.n_head != 0 {
            return Err(format!(
                "n_embd ({}) is not divisible by n_head ({})",
                self.n_embd, self.n_head
            ));
        }
        for (name, p) in [
            ("resid_pdrop", self.resid_pdrop),
            ("embd_pdrop", self.embd_pdrop),
            ("attn_pdrop", self.attn_pdrop),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("{name} must be in [0, 1), got {p}"));
            }
        }
        self.activation()?;
        let pad = self.pad_id();
        if !(0..self.vocab_size).contains(&pad) {
            return Err(format!(
                "padding token id {pad} is outside the vocabulary (size {})",
                self.vocab_size
            ));
        }
        Ok(())
    }

    /// The MLP's hidden width.
    pub fn inner_dim(&self) -> i64 {
        self.n_inner.unwrap_or(4 * self.n_embd)
    }

    /// The token used for padding and for finding the last real token: `pad_token_id`,
    /// else `eos_token_id`, else the last vocabulary entry (`<|endoftext|>` in GPT-2).
    pub fn pad_id(&self) -> i64 {
        self.pad_token_id
            .or(self.eos_token_id)
            .unwrap_or(self.vocab_size - 1)
    }

    pub fn activation(&self) -> Result<Activation, String> {
        match self.activation_function.as_str() {
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "gelu" => Ok(Activation::Gelu),
            "relu" => Ok(Activation::Relu),
            "silu" | "swish" => Ok(Activation::Silu),
            other => Err(format!("activation_function `{other}` is not supported")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hub_gpt2_config() {
        // The Hub's openai-community/gpt2 config.json (abridged to the keys it has).
        let json = r#"{"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
            "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256,
            "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
            "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
            "resid_pdrop": 0.1, "summary_activation": null, "vocab_size": 50257}"#;
        let config: Gpt2Config = serde_json::from_str(json).unwrap();
        assert_eq!(config, Gpt2Config::preset("gpt2").unwrap());
        assert_eq!(config.pad_id(), 50256);
        assert_eq!(config.inner_dim(), 3072);
    }

    #[test]
    fn rejects_bad_configs() {
        let bad = Gpt2Config {
            n_head: 5,
            ..Gpt2Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("divisible"));
        let bad = Gpt2Config {
            activation_function: "mish".into(),
            ..Gpt2Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("mish"));
        let bad = Gpt2Config {
            model_type: Some("llama".into()),
            ..Gpt2Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("llama"));
    }
}
