//! `clora-host predict`: classify texts with a model and an optional adapter.
//!
//! Input: JSON Lines, one object with a `"text"` string per line (other keys are
//! ignored). Output: one line per input line, in order:
//! `{"label": 0|1, "probability": p, "logits": [l0, l1]}` where `probability` is the
//! softmax probability of the predicted `label`.
//!
//! Texts are tokenized with the model's GPT-2 tokenizer, truncated to `--max-length`
//! tokens (keeping the start), and right-padded with `<|endoftext|>` within a batch; an
//! empty text is the single token `<|endoftext|>`.
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::json;
use tch::{Kind, Tensor};

use crate::model::{
    load_tokenizer_files, parse_device, resolve_model, LoraConfig, SequenceClassifier,
};

/// Tokens kept per text unless `--max-length` says otherwise.
pub const DEFAULT_MAX_LENGTH: usize = 256;

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model directory in Hugging Face layout, or a Hub id (HF cache first, then download).
    #[arg(long)]
    pub model: String,
    /// Hub revision (branch, tag or commit) when --model is a Hub id.
    #[arg(long)]
    pub revision: Option<String>,
    /// An adapter directory (PEFT format: adapter_config.json + adapter_model.safetensors).
    /// Without one, the score head is the checkpoint's `score.weight` or a seeded random one.
    #[arg(long)]
    pub adapter: Option<PathBuf>,
    /// JSON Lines input, one {"text": ...} per line.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the predictions (JSON Lines); standard output if absent.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Truncate texts to this many tokens [default: 256, or the model's n_positions if smaller].
    #[arg(long)]
    pub max_length: Option<usize>,
    /// auto, cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: String,
}

pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 || args.max_length == Some(0) {
        bail!("--batch-size and --max-length must be positive");
    }
    let texts = read_texts(&args.input)?;
    let device = parse_device(&args.device)?;
    let files = resolve_model(&args.model, args.revision.as_deref())?;
    let tokenizer_files = files.tokenizer.clone().with_context(|| {
        format!(
            "{}: the model has no tokenizer (tokenizer.json or vocab.json + merges.txt)",
            files.dir.display()
        )
    })?;
    let tokenizer = load_tokenizer_files(&tokenizer_files, &files.dir)?;
    let model = match &args.adapter {
        Some(dir) => SequenceClassifier::load_with_adapter(&files, dir, device)
            .with_context(|| format!("loading adapter {}", dir.display()))?,
        None => SequenceClassifier::load(&files, &LoraConfig::default(), device, 0)?,
    };
    let n_positions = model.config().n_positions as usize;
    let max_length = match args.max_length {
        Some(n) if n > n_positions => {
            bail!("--max-length {n} exceeds the model's {n_positions} positions")
        }
        Some(n) => n,
        None => DEFAULT_MAX_LENGTH.min(n_positions),
    };
    let pad = model.config().pad_id();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    for chunk in texts.chunks(args.batch_size) {
        let mut rows = Vec::with_capacity(chunk.len());
        for (line, text) in chunk {
            let encoding = tokenizer
                .encode(text.as_str(), true)
                .map_err(|e| anyhow::anyhow!("{}:{line}: tokenizing: {e}", args.input.display()))?;
            let mut ids: Vec<i64> = encoding.get_ids().iter().map(|&id| i64::from(id)).collect();
            ids.truncate(max_length);
            if ids.is_empty() {
                ids.push(pad);
            }
            rows.push(ids);
        }
        let (input_ids, attention_mask) = pad_batch(&rows, pad);
        let logits = tch::no_grad(|| model.try_forward_t(&input_ids, &attention_mask, false))?;
        let logits = logits.to_kind(Kind::Float).to_device(tch::Device::Cpu);
        let probs = logits.softmax(-1, Kind::Float);
        for row in 0..chunk.len() as i64 {
            let l: Vec<f32> = Vec::try_from(&logits.get(row))?;
            let p: Vec<f32> = Vec::try_from(&probs.get(row))?;
            let label = usize::from(l[1] > l[0]);
            let record = json!({"label": label, "probability": p[label], "logits": l});
            writeln!(out, "{record}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Reads the `text` of every line; any malformed line is an error naming its number.
fn read_texts(path: &PathBuf) -> anyhow::Result<Vec<(usize, String)>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut texts = Vec::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("{}:{number}: reading", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("{}:{number}: not a JSON object", path.display()))?;
        let Some(text) = value.get("text").and_then(|t| t.as_str()) else {
            bail!(
                "{}:{number}: expected an object with a \"text\" string",
                path.display()
            );
        };
        texts.push((number, text.to_string()));
    }
    Ok(texts)
}

/// Right-pads token rows with `pad` into [B, T] ids and a 0/1 attention mask.
fn pad_batch(rows: &[Vec<i64>], pad: i64) -> (Tensor, Tensor) {
    let width = rows.iter().map(Vec::len).max().unwrap_or(1);
    let mut ids = Vec::with_capacity(rows.len() * width);
    let mut mask = Vec::with_capacity(rows.len() * width);
    for row in rows {
        ids.extend(
            row.iter()
                .copied()
                .chain(std::iter::repeat(pad))
                .take(width),
        );
        mask.extend((0..width).map(|i| i64::from(i < row.len())));
    }
    let shape = [rows.len() as i64, width as i64];
    (
        Tensor::from_slice(&ids).reshape(shape),
        Tensor::from_slice(&mask).reshape(shape),
    )
}
