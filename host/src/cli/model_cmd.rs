//! `clora-host model init-tiny`: write a small random-init GPT-2 in Hugging Face layout
//! (config.json, model.safetensors, a byte-level BPE tokenizer) for demos, smoke runs
//! and tests.
use std::path::PathBuf;

use clap::Subcommand;

use crate::model::tiny::{write_tiny_model, TinySpec};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Write a tiny random-init GPT-2 (byte-level tokenizer) to a directory.
    InitTiny {
        /// Output directory (created).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        layers: i64,
        #[arg(long, default_value_t = 2)]
        heads: i64,
        /// Hidden size (a multiple of --heads).
        #[arg(long, default_value_t = 64)]
        embd: i64,
        #[arg(long, default_value_t = 256)]
        positions: i64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

pub fn run(cmd: ModelCommand) -> anyhow::Result<()> {
    match cmd {
        ModelCommand::InitTiny {
            out,
            layers,
            heads,
            embd,
            positions,
            seed,
        } => {
            let spec = TinySpec {
                n_layer: layers,
                n_head: heads,
                n_embd: embd,
                n_positions: positions,
            };
            write_tiny_model(&out, &spec, seed)?;
            println!("{}", out.display());
        }
    }
    Ok(())
}
