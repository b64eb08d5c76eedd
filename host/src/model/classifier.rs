//! [`SequenceClassifier`]: `GPT2ForSequenceClassification` with LoRA, as PEFT builds it
//! for `task_type=SEQ_CLS`.
//!
//! The score head is a bias-free (n_embd → 2) linear layer applied at the last token that
//! is not the padding token (transformers: the rightmost position whose id differs from
//! `pad_token_id`; clora-host pads with `<|endoftext|>`). The frozen GPT-2 weights sit in
//! one `VarStore`; the LoRA factors and the score head in a second, the only one an
//! optimizer should see.
use std::path::Path;

use tch::{nn, Device, Kind, Tensor};

use super::config::Gpt2Config;
use super::device::compute_kind;
use super::dropout::DropoutRng;
use super::gpt2::{attention_bias, Builder, Gpt2Model, Pass, Rows};
use super::init;
use super::lora::LoraConfig;
use super::packing::BatchLayout;
use super::source::ModelFiles;
use super::weights::Checkpoint;
use super::ModelError;

/// Number of classes of the score head.
pub const NUM_LABELS: i64 = 2;
/// The score head's name in checkpoints, in the trainable store and in PEFT adapters.
pub const SCORE_WEIGHT: &str = "score.weight";

/// A read-only view of one LoRA layer for metrics and regularizers.
pub struct LoraLayerView {
    /// The wrapped module's HF path, e.g. `transformer.h.0.attn.c_attn`.
    pub name: String,
    pub in_features: i64,
    pub out_features: i64,
    pub rank: i64,
    pub scaling: f64,
    /// (r × in); shares storage and gradient with the trainable variable.
    pub a: Tensor,
    /// (out × r); shares storage and gradient with the trainable variable.
    pub b: Tensor,
    /// (out × in), frozen (a transposed view of the Conv1D's (in × out) weight).
    pub base_weight: Tensor,
}

/// Per-layer output-change statistics: F = sum / count = mean ‖ΔW·x‖/‖x‖.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputChangeStat {
    pub name: String,
    pub sum: f64,
    pub count: i64,
}

impl OutputChangeStat {
    /// Mean ‖ΔW·x‖/‖x‖ (NaN when no position was seen).
    pub fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// GPT-2 + LoRA + score head.
pub struct SequenceClassifier {
    config: Gpt2Config,
    lora: LoraConfig,
    device: Device,
    compute: Kind,
    frozen: nn::VarStore,
    trainable: nn::VarStore,
    transformer: Gpt2Model,
    score: Tensor,
    source: String,
}

impl SequenceClassifier {
    /// Loads the base model on `device`, adds fresh LoRA factors (A seeded by `seed`, B
    /// zero) and the score head (`score.weight` from the checkpoint if present, else
    /// N(0, initializer_range²) seeded by `seed`).
    pub fn load(
        files: &ModelFiles,
        lora: &LoraConfig,
        device: Device,
        seed: u64,
    ) -> Result<Self, ModelError> {
        lora.validate().map_err(ModelError::Lora)?;
        let config = Gpt2Config::from_file(&files.config)?;
        let mut checkpoint = Checkpoint::read(&files.weights)?;
        let frozen = nn::VarStore::new(device);
        let trainable = nn::VarStore::new(device);
        let compute = compute_kind(device);
        let transformer = {
            let mut builder = Builder {
                frozen: frozen.root(),
                trainable: trainable.root(),
                checkpoint: &mut checkpoint,
                lora,
                seed,
                compute,
            };
            Gpt2Model::load(&mut builder, &config)?
        };
        let dims = [NUM_LABELS, config.n_embd];
        let initial = if checkpoint.contains(SCORE_WEIGHT) {
            checkpoint.take(SCORE_WEIGHT, &dims)?.to_kind(Kind::Float)
        } else {
            init::normal(
                seed,
                SCORE_WEIGHT,
                &dims,
                config.initializer_range,
                Device::Cpu,
            )
        };
        let score = trainable
            .root()
            .sub("score")
            .f_var_copy("weight", &initial)?;
        Ok(SequenceClassifier {
            config,
            lora: lora.clone(),
            device,
            compute,
            frozen,
            trainable,
            transformer,
            score,
            source: files.source.clone(),
        })
    }

    /// Loads the base model and a saved adapter, taking the LoRA configuration from the
    /// adapter's `adapter_config.json`.
    pub fn load_with_adapter(
        files: &ModelFiles,
        adapter_dir: &Path,
        device: Device,
    ) -> Result<Self, ModelError> {
        let lora = super::peft::read_adapter_config(adapter_dir)?;
        let mut model = SequenceClassifier::load(files, &lora, device, 0)?;
        model.load_adapter(adapter_dir)?;
        Ok(model)
    }

    /// Logits [B, 2] (fp32) for `input_ids` [B, T] (int64) and `attention_mask` [B, T]
    /// (1 = real token). `train` turns dropout on.
    ///
    /// Panics on malformed inputs; see [`Self::try_forward_t`].
    pub fn forward_t(&self, input_ids: &Tensor, attention_mask: &Tensor, train: bool) -> Tensor {
        match self.try_forward_t(input_ids, attention_mask, train) {
            Ok(logits) => logits,
            Err(err) => panic!("SequenceClassifier::forward_t: {err}"),
        }
    }

    /// [`Self::forward_t`] that checks its inputs first.
    pub fn try_forward_t(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        train: bool,
    ) -> Result<Tensor, ModelError> {
        let size = input_ids.size();
        if size.len() != 2 || attention_mask.size() != size {
            return Err(ModelError::Torch(format!(
                "input_ids {size:?} and attention_mask {:?} must both be [batch, time]",
                attention_mask.size()
            )));
        }
        if size[1] > self.config.n_positions || size[1] == 0 {
            return Err(ModelError::Torch(format!(
                "sequence length {} is outside 1..={} (n_positions)",
                size[1], self.config.n_positions
            )));
        }
        // One host copy of the (small) id and mask tensors: the vocabulary check and
        // the batch layout are read from it.
        let host_ids = Vec::<i64>::try_from(
            &input_ids
                .to_device(Device::Cpu)
                .to_kind(Kind::Int64)
                .reshape([-1]),
        )?;
        let host_mask = Vec::<i64>::try_from(
            &attention_mask
                .to_device(Device::Cpu)
                .to_kind(Kind::Int64)
                .reshape([-1]),
        )?;
        let (lo, hi) = host_ids.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &id| {
            (lo.min(id), hi.max(id))
        });
        if lo < 0 || hi >= self.config.vocab_size {
            return Err(ModelError::Torch(format!(
                "token ids span {lo}..={hi}, outside the vocabulary (size {})",
                self.config.vocab_size
            )));
        }
        let layout = BatchLayout::read(
            &host_ids,
            &host_mask,
            size[0],
            size[1],
            self.config.pad_id(),
        );
        let input_ids = input_ids.to_device(self.device).to_kind(Kind::Int64);
        let attention_mask = attention_mask.to_device(self.device);
        Ok(self.forward_unchecked(&input_ids, &attention_mask, &layout, train))
    }

    /// Runs only the real tokens when the batch is right-padded (see
    /// [`super::packing`]), and the last block only at the pooled tokens unless the
    /// output-change accumulator needs every position.
    fn forward_unchecked(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        layout: &BatchLayout,
        train: bool,
    ) -> Tensor {
        let bias = attention_bias(attention_mask, self.compute, self.device);
        let tracking = self
            .transformer
            .adapters()
            .iter()
            .any(|(lora, _)| lora.is_tracking());
        let on_device = |values: Vec<i64>| Tensor::from_slice(&values).to_device(self.device);
        let (batch, time) = (layout.batch, layout.time);
        let packed = layout.packs().then(|| on_device(layout.packed_index()));
        let (ids, positions, pooled, rows) = match &packed {
            Some(index) => (
                input_ids.reshape([-1]).index_select(0, index),
                on_device(layout.packed_positions()),
                on_device(layout.packed_pooled()),
                Rows::Packed { batch, time, index },
            ),
            None => (
                input_ids.reshape([-1]),
                on_device(layout.padded_positions()),
                on_device(layout.padded_pooled()),
                Rows::Padded { batch, time },
            ),
        };
        let real = tracking.then(|| match &packed {
            Some(index) => Tensor::ones(index.size(), (Kind::Bool, self.device)),
            None => attention_mask.reshape([-1]).to_kind(Kind::Bool),
        });
        let rng = train.then(DropoutRng::from_libtorch);
        let pass = Pass {
            rng: rng.as_ref(),
            compute: self.compute,
            attn_bias: &bias,
            rows,
            real: real.as_ref(),
        };
        let hidden = if tracking {
            self.transformer
                .forward_rows(&ids, &positions, &pass, None)
                .index_select(0, &pooled)
        } else {
            self.transformer
                .forward_rows(&ids, &positions, &pass, Some(&pooled))
        };
        hidden.to_kind(Kind::Float).matmul(&self.score.tr())
    }

    /// The LoRA factors and the score head (names like
    /// `transformer.h.0.attn.c_attn.lora_A.weight`, `score.weight`).
    pub fn trainable(&self) -> &nn::VarStore {
        &self.trainable
    }

    /// The frozen base weights.
    pub fn frozen(&self) -> &nn::VarStore {
        &self.frozen
    }

    pub fn config(&self) -> &Gpt2Config {
        &self.config
    }

    pub fn lora_config(&self) -> &LoraConfig {
        &self.lora
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// The score head weight [2, n_embd] (a trainable variable).
    pub fn score_weight(&self) -> &Tensor {
        &self.score
    }

    /// What the model was loaded from (directory or Hub id).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every LoRA layer, in layer order.
    pub fn lora_layers(&self) -> Vec<LoraLayerView> {
        self.transformer
            .adapters()
            .into_iter()
            .map(|(lora, weight)| LoraLayerView {
                name: lora.name.clone(),
                in_features: lora.in_features,
                out_features: lora.out_features,
                rank: lora.rank,
                scaling: lora.scaling,
                a: lora.a.shallow_clone(),
                b: lora.b.shallow_clone(),
                base_weight: weight.tr(),
            })
            .collect()
    }

    /// ΔW = scaling·B·A (out × in) of every LoRA layer, by name.
    pub fn delta_ws(&self) -> Vec<(String, Tensor)> {
        self.transformer
            .adapters()
            .into_iter()
            .map(|(lora, _)| (lora.name.clone(), lora.delta_w()))
            .collect()
    }

    /// Starts accumulating Σ‖ΔW·x‖/‖x‖ over real (attention-mask 1) positions in every
    /// LoRA layer, from zero. Use with `train = false` under `tch::no_grad`.
    pub fn start_output_change(&self) {
        self.transformer
            .adapters()
            .iter()
            .for_each(|(lora, _)| lora.start_tracking());
    }

    /// Stops accumulating and drops the sums.
    pub fn stop_output_change(&self) {
        self.transformer
            .adapters()
            .iter()
            .for_each(|(lora, _)| lora.stop_tracking());
    }

    /// The sums so far (empty when tracking is off).
    pub fn output_change(&self) -> Vec<OutputChangeStat> {
        self.transformer
            .adapters()
            .iter()
            .filter_map(|(lora, _)| {
                lora.output_change().map(|(sum, count)| OutputChangeStat {
                    name: lora.name.clone(),
                    sum,
                    count,
                })
            })
            .collect()
    }

    /// Saves the adapter (LoRA factors + score head) in PEFT's format.
    pub fn save_adapter(&self, dir: &Path) -> Result<(), ModelError> {
        super::peft::save_adapter(self, dir)
    }

    /// Loads adapter weights saved by [`Self::save_adapter`] or by PEFT. The adapter's
    /// rank and target modules must match this model's; its alpha, dropout and rsLoRA
    /// setting are adopted.
    pub fn load_adapter(&mut self, dir: &Path) -> Result<(), ModelError> {
        let adapter = super::peft::read_adapter_config(dir)?;
        super::peft::check_compatible(&self.lora, &adapter, dir)?;
        let tensors = super::peft::read_adapter_tensors(dir, self)?;
        for lora in self.transformer.adapters_mut() {
            lora.scaling = adapter.scaling();
            lora.dropout = adapter.dropout;
        }
        self.lora = adapter;
        tch::no_grad(|| {
            for (mut target, value) in tensors {
                target.f_copy_(&value.to_device(self.device))?;
            }
            Ok::<(), tch::TchError>(())
        })?;
        Ok(())
    }

    /// The (name, variable) pairs a PEFT adapter holds, with PEFT's key names.
    pub(crate) fn adapter_variables(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (lora, _) in self.transformer.adapters() {
            out.push((
                format!("base_model.model.{}.lora_A.weight", lora.name),
                lora.a.shallow_clone(),
            ));
            out.push((
                format!("base_model.model.{}.lora_B.weight", lora.name),
                lora.b.shallow_clone(),
            ));
        }
        out.push((
            format!("base_model.model.{SCORE_WEIGHT}"),
            self.score.shallow_clone(),
        ));
        out
    }
}

/// transformers' pooling index: the rightmost position whose token is not `pad_id`
/// (`argmax(arange(T) * (ids != pad))`, so 0 when every token is padding).
pub fn last_token_index(input_ids: &Tensor, pad_id: i64) -> Tensor {
    let time = input_ids.size()[1];
    let not_pad = input_ids.ne(pad_id).to_kind(Kind::Int64);
    let positions = Tensor::arange(time, (Kind::Int64, input_ids.device()));
    (not_pad * positions).argmax(-1, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_at_last_non_pad_token() {
        let ids = Tensor::from_slice(&[5i64, 6, 9, 9, 7, 9, 8, 9, 9, 9, 9, 9]).reshape([3, 4]);
        let last = last_token_index(&ids, 9);
        assert_eq!(Vec::<i64>::try_from(&last).unwrap(), vec![1, 2, 0]);
    }
}
