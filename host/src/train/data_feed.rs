//! The bridge from the data pipeline to the loop: prepares the configured splits
//! (through the cache and the preprocessor plugins) and turns their batches into tensors
//! on the training device.
use std::cell::RefCell;
use std::path::{Path, PathBuf};

use tch::{Device, Kind, Tensor};

use crate::config::Config;
use crate::data::batch::{Batch, BatchOptions, Batcher};
use crate::data::prepare::Preparer;
use crate::data::progress::Progress;
use crate::data::{PluginConverters, TokenizedSplit};
use crate::hub::Hub;
use crate::plugin::PluginRuntime;

use super::run_dir::RunDir;
use super::step::BatchTensors;
use super::TrainError;

/// Which splits a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Training: train, validation and every test split.
    Training,
    /// Evaluation only: validation and the test splits.
    EvaluationOnly,
}

/// The training split, batched with per-epoch shuffling.
pub struct TrainFeed {
    split: TokenizedSplit,
    options: BatchOptions,
    /// The plan of the epoch in progress (rebuilt when the epoch changes).
    plan: RefCell<Option<(u64, Vec<Vec<usize>>)>>,
}

impl TrainFeed {
    pub fn batches_per_epoch(&self) -> u64 {
        self.batcher().batches_per_epoch()
    }

    /// Number of training examples.
    pub fn examples(&self) -> u64 {
        self.split.len() as u64
    }

    /// Batch `index` of `epoch`, as tensors on `device`.
    pub fn batch(
        &self,
        epoch: u64,
        index: u64,
        device: Device,
    ) -> Result<BatchTensors, TrainError> {
        let batcher = self.batcher();
        let mut plan = self.plan.borrow_mut();
        if plan.as_ref().is_none_or(|(e, _)| *e != epoch) {
            *plan = Some((epoch, batcher.epoch_plan(epoch)));
        }
        let (_, batches) = plan.as_ref().expect("plan was just built");
        let indices = batches.get(index as usize).ok_or_else(|| {
            TrainError::Invalid(format!(
                "batch {index} of epoch {epoch} does not exist ({} batches)",
                batches.len()
            ))
        })?;
        to_tensors(&batcher.batch(indices), device)
    }

    fn batcher(&self) -> Batcher<'_> {
        Batcher::new(&self.split, self.options.clone()).expect("batch size validated by the config")
    }
}

/// An evaluation split, batched in order.
pub struct EvalFeed {
    pub name: String,
    split: TokenizedSplit,
    options: BatchOptions,
}

impl EvalFeed {
    /// Every batch once, as tensors on `device`.
    pub fn batches(&self, device: Device) -> impl Iterator<Item = BatchTensors> + '_ {
        let batcher = Batcher::new(&self.split, self.options.clone())
            .expect("batch size validated by the config");
        let plan = batcher.epoch_plan(0);
        plan.into_iter().map(move |indices| {
            let batcher = Batcher::new(&self.split, self.options.clone()).expect("validated");
            to_tensors(&batcher.batch(&indices), device).expect("tensors from host vectors")
        })
    }

    pub fn examples(&self) -> u64 {
        self.split.len() as u64
    }
}

/// All prepared splits of a run.
pub struct Feeds {
    pub train: Option<TrainFeed>,
    evals: Vec<EvalFeed>,
}

impl Feeds {
    pub fn train(&self) -> Result<&TrainFeed, TrainError> {
        self.train
            .as_ref()
            .ok_or_else(|| TrainError::Invalid("no training split prepared".into()))
    }

    pub fn eval(&self, name: &str) -> Option<&EvalFeed> {
        self.evals.iter().find(|f| f.name == name)
    }

    /// "validation" first, then the test splits in config order.
    pub fn eval_names(&self) -> Vec<String> {
        self.evals.iter().map(|f| f.name.clone()).collect()
    }
}

/// The tokenizer directory: `data.tokenizer` when set, else the model's directory.
pub fn tokenizer_dir(config: &Config, model_dir: &Path) -> PathBuf {
    if config.data.tokenizer.as_os_str().is_empty() {
        model_dir.to_path_buf()
    } else {
        config.data.tokenizer.clone()
    }
}

/// Prepares the splits a command needs (from the cache when possible). `only` restricts
/// the evaluation splits by name.
pub fn prepare(
    config: &Config,
    model_dir: &Path,
    runtime: &PluginRuntime,
    run: &RunDir,
    needs: Needs,
    only: Option<&[String]>,
) -> Result<Feeds, TrainError> {
    let converters = PluginConverters::new(runtime.clone(), Some(config.seed));
    let hub = Hub::from_env();
    let preparer = Preparer {
        config: &config.data,
        tokenizer_dir: tokenizer_dir(config, model_dir),
        converters: &converters,
        hub: &hub,
        progress: Progress::auto(),
        rebuild: false,
    };
    let t = &config.train;
    let bucket = config.data.bucket_by_length;
    let mut train = None;
    let mut evals = Vec::new();
    for (id, _) in config.data.splits() {
        let wanted = match (id.as_str(), needs) {
            ("train", Needs::Training) => true,
            ("train", Needs::EvaluationOnly) => false,
            (name, _) => only.is_none_or(|names| names.iter().any(|n| n == name)),
        };
        if !wanted {
            continue;
        }
        let mut prepared = preparer.prepare(&id)?;
        run.log(&format!(
            "data {id}: {} examples ({:?})",
            prepared.split.len(),
            prepared.cache
        ));
        if id == "train" {
            if t.max_train_samples > 0 {
                prepared.split.truncate(t.max_train_samples as usize);
            }
            train = Some(TrainFeed {
                split: prepared.split,
                options: BatchOptions::train(t.batch_size as usize, config.seed, bucket),
                plan: RefCell::new(None),
            });
        } else {
            if t.max_eval_samples > 0 {
                prepared.split.truncate(t.max_eval_samples as usize);
            }
            evals.push(EvalFeed {
                name: id,
                split: prepared.split,
                options: BatchOptions::eval(t.eval_batch_size as usize, bucket),
            });
        }
    }
    Ok(Feeds { train, evals })
}

fn to_tensors(batch: &Batch, device: Device) -> Result<BatchTensors, TrainError> {
    let shape = [batch.rows as i64, batch.seq_len as i64];
    Ok(BatchTensors {
        input_ids: Tensor::from_slice(&batch.input_ids)
            .f_reshape(shape)?
            .f_to_device(device)?,
        attention_mask: Tensor::from_slice(&batch.attention_mask)
            .f_reshape(shape)?
            .f_to_device(device)?,
        labels: Tensor::from_slice(&batch.labels)
            .f_to_kind(Kind::Int64)?
            .f_to_device(device)?,
    })
}
