//! GPT-2 for binary sequence classification with LoRA adapters (PEFT-compatible).
//!
//! - [`config`]: GPT-2's `config.json`.
//! - [`source`]: model directories, the HF cache and Hub downloads ([`resolve_model`]).
//! - [`weights`]: safetensors checkpoints under normalised HF names.
//! - [`gpt2`]: the transformer; [`lora`]: LoRA layers and their metrics hooks.
//! - [`packing`]: padding-free execution of right-padded batches.
//! - [`classifier`]: [`SequenceClassifier`], `GPT2ForSequenceClassification` + LoRA.
//! - [`peft`]: adapters in PEFT's format; [`tokenizer`]: GPT-2's byte-level BPE.
//! - [`device`]: `auto`/`cpu`/`cuda:N` and precision; [`init`]: seeded initialisation.
//! - [`dropout`]: dropout with a fast mask on the CPU.
//! - [`tiny`]: a random tiny GPT-2 in HF layout for demos and tests.
//!
//! ```text
//! let files = resolve_model("gpt2", None)?;               // dir, HF cache or download
//! let model = SequenceClassifier::load(&files, &LoraConfig::default(), Device::Cpu, 42)?;
//! let logits = model.forward_t(&input_ids, &attention_mask, true); // [B, 2]
//! model.save_adapter(Path::new("adapter"))?;             // PeftModel.from_pretrained loads it
//! ```
pub mod classifier;
pub mod config;
pub mod device;
pub mod dropout;
mod error;
pub mod gpt2;
pub mod init;
pub mod lora;
pub mod packing;
pub mod peft;
pub mod source;
pub mod tiny;
pub mod tokenizer;
pub mod weights;

pub use classifier::{LoraLayerView, OutputChangeStat, SequenceClassifier, NUM_LABELS};
pub use config::Gpt2Config;
pub use device::{compute_kind, parse_device};
pub use error::ModelError;
pub use lora::LoraConfig;
pub use source::{resolve_model, resolve_model_with, ModelFiles, TokenizerFiles};
pub use tiny::{write_tiny_model, TinySpec};
pub use tokenizer::{load_tokenizer, load_tokenizer_files};
