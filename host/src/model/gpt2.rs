//! The GPT-2 transformer (`transformers.GPT2Model`) with optional LoRA on its
//! projections.
//!
//! Paper: Radford et al., "Language Models are Unsupervised Multitask Learners" (2019).
//! Weight names mirror the Hugging Face checkpoint (`transformer.h.{i}.attn.c_attn.weight`
//! …). Each block has `load` and `forward` and nothing else; the frozen base weights live
//! in one `VarStore`, the LoRA factors in another (see [`super::SequenceClassifier`]).
use tch::{nn, Device, Kind, Tensor};

use super::config::{Activation, Gpt2Config};
use super::dropout::{dropout, DropoutRng};
use super::lora::{LoraAdapter, LoraConfig};
use super::weights::Checkpoint;
use super::ModelError;

/// Per-forward context: training mode, precision, the attention bias, how the hidden
/// rows map onto the batch, and the rows that are real tokens (for the output-change
/// accumulator).
pub struct Pass<'a> {
    /// The dropout seeds in training; `None` runs the model in evaluation mode.
    pub rng: Option<&'a DropoutRng>,
    pub compute: Kind,
    /// Additive attention bias [B, 1, T, T] (0 or -1e30), in `compute` precision.
    pub attn_bias: &'a Tensor,
    pub rows: Rows<'a>,
    /// [rows] bool, only passed to adapters while output-change tracking is on.
    pub real: Option<&'a Tensor>,
}

/// How the hidden states' rows map onto the [B, T] batch (see [`super::packing`]).
#[derive(Clone, Copy)]
pub enum Rows<'a> {
    /// B·T rows: every position, row-major.
    Padded { batch: i64, time: i64 },
    /// Only the real tokens: row i is the flat position `index[i]` (an int64 [N] tensor).
    Packed {
        batch: i64,
        time: i64,
        index: &'a Tensor,
    },
}

impl Rows<'_> {
    fn shape(&self) -> (i64, i64) {
        match *self {
            Rows::Padded { batch, time } | Rows::Packed { batch, time, .. } => (batch, time),
        }
    }

    /// [rows, C] → [B·T, C] (padding positions zero).
    // Conversions between the packed and the padded layout need the batch shape kept in `self`.
    #[allow(clippy::wrong_self_convention)]
    fn to_padded(&self, x: &Tensor) -> Tensor {
        match *self {
            Rows::Padded { .. } => x.shallow_clone(),
            Rows::Packed { batch, time, index } => {
                Tensor::zeros([batch * time, x.size()[1]], (x.kind(), x.device()))
                    .index_copy(0, index, x)
            }
        }
    }

    /// [B·T, C] → [rows, C].
    // Conversions between the packed and the padded layout need the batch shape kept in `self`.
    #[allow(clippy::wrong_self_convention)]
    fn from_padded(&self, x: &Tensor) -> Tensor {
        match *self {
            Rows::Padded { .. } => x.shallow_clone(),
            Rows::Packed { index, .. } => x.index_select(0, index),
        }
    }
}

/// Where the base weights come from and where the parts go.
pub struct Builder<'a> {
    pub frozen: nn::Path<'a>,
    pub trainable: nn::Path<'a>,
    pub checkpoint: &'a mut Checkpoint,
    pub lora: &'a LoraConfig,
    pub seed: u64,
    pub compute: Kind,
}

impl Builder<'_> {
    /// Takes a tensor from the checkpoint into the frozen store (no grad), as `kind`.
    fn frozen(&mut self, name: &str, dims: &[i64], kind: Kind) -> Result<Tensor, ModelError> {
        let value = self.checkpoint.take(name, dims)?.to_kind(kind);
        let mut path = self.frozen.clone();
        let (parents, leaf) = name.rsplit_once('.').unwrap_or(("", name));
        for part in parents.split('.').filter(|p| !p.is_empty()) {
            path = path.sub(part);
        }
        let var = path.f_var_copy(leaf, &value)?;
        Ok(var.set_requires_grad(false))
    }

    fn trainable_path(&self, module: &str) -> nn::Path<'_> {
        module
            .split('.')
            .fold(self.trainable.clone(), |path, part| path.sub(part))
    }
}

/// GPT-2's `Conv1D`: y = x·W + b with W stored (in × out), optionally with LoRA.
pub struct Projection {
    weight: Tensor,
    bias: Tensor,
    pub lora: Option<LoraAdapter>,
}

impl Projection {
    fn load(
        b: &mut Builder,
        module: &str,
        in_features: i64,
        out_features: i64,
    ) -> Result<Self, ModelError> {
        let weight = b.frozen(
            &format!("{module}.weight"),
            &[in_features, out_features],
            b.compute,
        )?;
        let bias = b.frozen(&format!("{module}.bias"), &[out_features], b.compute)?;
        let lora = if b.lora.targets(module) {
            let path = b.trainable_path(module);
            Some(LoraAdapter::new(
                &path,
                module,
                in_features,
                out_features,
                b.lora,
                b.seed,
            ))
        } else {
            None
        };
        Ok(Projection { weight, bias, lora })
    }

    /// The frozen weight, (in × out) as stored.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    fn forward(&self, x: &Tensor, pass: &Pass) -> Tensor {
        let mut shape = x.size();
        let last = shape.len() - 1;
        let flat = x.reshape([-1, shape[last]]);
        shape[last] = self.bias.size()[0];
        let base = self.bias.addmm(&flat.to_kind(pass.compute), &self.weight);
        let out = match &self.lora {
            Some(lora) => lora.add_to(&base, &flat, pass.rng, pass.compute, pass.real),
            None => base,
        };
        out.reshape(shape.as_slice())
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    fn load(b: &mut Builder, module: &str, dim: i64, eps: f64) -> Result<Self, ModelError> {
        let weight = b.frozen(&format!("{module}.weight"), &[dim], Kind::Float)?;
        let bias = b.frozen(&format!("{module}.bias"), &[dim], Kind::Float)?;
        Ok(LayerNorm { weight, bias, eps })
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let dim = self.weight.size()[0];
        x.to_kind(Kind::Float).layer_norm(
            [dim],
            Some(&self.weight),
            Some(&self.bias),
            self.eps,
            true,
        )
    }
}

struct Attention {
    c_attn: Projection,
    c_proj: Projection,
    n_head: i64,
    scale: f64,
    attn_pdrop: f64,
    resid_pdrop: f64,
}

impl Attention {
    fn load(
        b: &mut Builder,
        prefix: &str,
        config: &Gpt2Config,
        layer: i64,
    ) -> Result<Self, ModelError> {
        let d = config.n_embd;
        let head_dim = (d / config.n_head) as f64;
        let mut scale = if config.scale_attn_weights {
            head_dim.powf(-0.5)
        } else {
            1.0
        };
        if config.scale_attn_by_inverse_layer_idx {
            scale /= (layer + 1) as f64;
        }
        Ok(Attention {
            c_attn: Projection::load(b, &format!("{prefix}.c_attn"), d, 3 * d)?,
            c_proj: Projection::load(b, &format!("{prefix}.c_proj"), d, d)?,
            n_head: config.n_head,
            scale,
            attn_pdrop: config.attn_pdrop,
            resid_pdrop: config.resid_pdrop,
        })
    }

    /// `x` is [rows, C]; attention runs in the [B, T] layout. With `keep`, only those
    /// rows go through the output projection.
    fn forward(&self, x: &Tensor, pass: &Pass, keep: Option<&Tensor>) -> Tensor {
        let dim = x.size()[1];
        let (batch, time) = pass.rows.shape();
        let heads = |t: &Tensor| {
            t.reshape([batch, time, self.n_head, dim / self.n_head])
                .transpose(1, 2)
        };
        let qkv = pass
            .rows
            .to_padded(&self.c_attn.forward(x, pass))
            .reshape([batch, time, 3 * dim])
            .split(dim, 2);
        let (q, k, v) = (heads(&qkv[0]), heads(&qkv[1]), heads(&qkv[2]));
        let attended = if pass.rng.is_some() && self.attn_pdrop > 0.0 && q.device() == Device::Cpu {
            // SDPA's math path, with the fast CPU dropout on the probabilities.
            let scores = q.matmul(&k.transpose(-2, -1)) * self.scale + pass.attn_bias;
            let probs = scores.softmax(-1, scores.kind());
            dropout(&probs, self.attn_pdrop, pass.rng).matmul(&v)
        } else {
            let p = if pass.rng.is_some() {
                self.attn_pdrop
            } else {
                0.0
            };
            Tensor::scaled_dot_product_attention(
                &q,
                &k,
                &v,
                Some(pass.attn_bias),
                p,
                false,
                Some(self.scale),
                false,
            )
        };
        let merged = pass
            .rows
            .from_padded(&attended.transpose(1, 2).reshape([batch * time, dim]));
        let merged = match keep {
            Some(keep) => merged.index_select(0, keep),
            None => merged,
        };
        dropout(
            &self.c_proj.forward(&merged, pass),
            self.resid_pdrop,
            pass.rng,
        )
    }
}

struct Mlp {
    c_fc: Projection,
    c_proj: Projection,
    activation: Activation,
    resid_pdrop: f64,
}

impl Mlp {
    fn load(b: &mut Builder, prefix: &str, config: &Gpt2Config) -> Result<Self, ModelError> {
        let (d, inner) = (config.n_embd, config.inner_dim());
        Ok(Mlp {
            c_fc: Projection::load(b, &format!("{prefix}.c_fc"), d, inner)?,
            c_proj: Projection::load(b, &format!("{prefix}.c_proj"), inner, d)?,
            activation: config.activation().map_err(|message| ModelError::Config {
                path: "config.json".into(),
                message,
            })?,
            resid_pdrop: config.resid_pdrop,
        })
    }

    fn forward(&self, x: &Tensor, pass: &Pass) -> Tensor {
        let h = self.c_fc.forward(x, pass);
        let h = match self.activation {
            Activation::GeluTanh => h.gelu("tanh"),
            Activation::Gelu => h.gelu("none"),
            Activation::Relu => h.relu(),
            Activation::Silu => h.silu(),
        };
        dropout(&self.c_proj.forward(&h, pass), self.resid_pdrop, pass.rng)
    }
}

struct Block {
    ln_1: LayerNorm,
    attn: Attention,
    ln_2: LayerNorm,
    mlp: Mlp,
}

impl Block {
    fn load(b: &mut Builder, config: &Gpt2Config, layer: i64) -> Result<Self, ModelError> {
        let prefix = format!("transformer.h.{layer}");
        let eps = config.layer_norm_epsilon;
        Ok(Block {
            ln_1: LayerNorm::load(b, &format!("{prefix}.ln_1"), config.n_embd, eps)?,
            attn: Attention::load(b, &format!("{prefix}.attn"), config, layer)?,
            ln_2: LayerNorm::load(b, &format!("{prefix}.ln_2"), config.n_embd, eps)?,
            mlp: Mlp::load(b, &format!("{prefix}.mlp"), config)?,
        })
    }

    /// `x` is [rows, C]; with `keep`, the output has only those rows.
    fn forward(&self, x: &Tensor, pass: &Pass, keep: Option<&Tensor>) -> Tensor {
        let attended = self.attn.forward(&self.ln_1.forward(x), pass, keep);
        let x = match keep {
            Some(keep) => x.index_select(0, keep) + attended,
            None => x + attended,
        };
        &x + self.mlp.forward(&self.ln_2.forward(&x), pass)
    }

    fn projections(&self) -> [&Projection; 4] {
        [
            &self.attn.c_attn,
            &self.attn.c_proj,
            &self.mlp.c_fc,
            &self.mlp.c_proj,
        ]
    }

    fn projections_mut(&mut self) -> [&mut Projection; 4] {
        [
            &mut self.attn.c_attn,
            &mut self.attn.c_proj,
            &mut self.mlp.c_fc,
            &mut self.mlp.c_proj,
        ]
    }
}

/// `GPT2Model`: embeddings, blocks, final layer norm.
pub struct Gpt2Model {
    wte: Tensor,
    wpe: Tensor,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    embd_pdrop: f64,
}

impl Gpt2Model {
    pub fn load(b: &mut Builder, config: &Gpt2Config) -> Result<Self, ModelError> {
        let wte = b.frozen(
            "transformer.wte.weight",
            &[config.vocab_size, config.n_embd],
            Kind::Float,
        )?;
        let wpe = b.frozen(
            "transformer.wpe.weight",
            &[config.n_positions, config.n_embd],
            Kind::Float,
        )?;
        let blocks = (0..config.n_layer)
            .map(|i| Block::load(b, config, i))
            .collect::<Result<_, _>>()?;
        let ln_f = LayerNorm::load(
            b,
            "transformer.ln_f",
            config.n_embd,
            config.layer_norm_epsilon,
        )?;
        Ok(Gpt2Model {
            wte,
            wpe,
            blocks,
            ln_f,
            embd_pdrop: config.embd_pdrop,
        })
    }

    /// Last hidden states [B, T, C] (fp32) for `input_ids` [B, T]; `pass.rows` must be
    /// [`Rows::Padded`].
    pub fn forward(&self, input_ids: &Tensor, pass: &Pass) -> Tensor {
        let (batch, time) = input_ids.size2().expect("input_ids is [B, T]");
        let positions = Tensor::arange(time, (Kind::Int64, input_ids.device())).repeat([batch]);
        self.forward_rows(&input_ids.reshape([-1]), &positions, pass, None)
            .reshape([batch, time, -1])
    }

    /// Last hidden states [rows, C] (fp32) of the rows `pass.rows` describes, from their
    /// token ids and position ids ([rows] each). With `keep` (row indices), the last
    /// block computes its attention output, MLP and the final layer norm for those rows
    /// only, and the result is [keep.len(), C].
    pub fn forward_rows(
        &self,
        ids: &Tensor,
        positions: &Tensor,
        pass: &Pass,
        keep: Option<&Tensor>,
    ) -> Tensor {
        let embedded = Tensor::embedding(&self.wte, ids, -1, false, false)
            + Tensor::embedding(&self.wpe, positions, -1, false, false);
        let mut hidden = dropout(&embedded, self.embd_pdrop, pass.rng);
        let last = self.blocks.len().saturating_sub(1);
        for (i, block) in self.blocks.iter().enumerate() {
            hidden = block.forward(&hidden, pass, keep.filter(|_| i == last));
        }
        if let (Some(keep), true) = (keep, self.blocks.is_empty()) {
            hidden = hidden.index_select(0, keep);
        }
        self.ln_f.forward(&hidden)
    }

    /// Every projection that carries a LoRA adapter, in layer order, with its base weight.
    pub fn adapters(&self) -> Vec<(&LoraAdapter, &Tensor)> {
        self.blocks
            .iter()
            .flat_map(|block| block.projections())
            .filter_map(|p| p.lora.as_ref().map(|lora| (lora, p.weight())))
            .collect()
    }

    pub fn adapters_mut(&mut self) -> Vec<&mut LoraAdapter> {
        self.blocks
            .iter_mut()
            .flat_map(|block| block.projections_mut())
            .filter_map(|p| p.lora.as_mut())
            .collect()
    }
}

/// The additive attention bias for causal attention over the real keys: [B, 1, T, T],
/// 0 where a query may attend and -1e30 elsewhere (a large finite value, so a row with
/// no visible key is uniform rather than NaN, like transformers' eager path).
pub fn attention_bias(attention_mask: &Tensor, kind: Kind, device: Device) -> Tensor {
    let (_, time) = attention_mask.size2().expect("attention mask is [B, T]");
    let causal = Tensor::ones([time, time], (Kind::Bool, device)).tril(0);
    let keys = attention_mask
        .to_device(device)
        .to_kind(Kind::Bool)
        .unsqueeze(1)
        .unsqueeze(1);
    let allowed = causal.unsqueeze(0).unsqueeze(0).logical_and(&keys);
    Tensor::zeros(allowed.size(), (kind, device)).masked_fill(&allowed.logical_not(), -1e30)
}
