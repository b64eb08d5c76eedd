//! `clora`: the CLoRA regularizer (Lu et al., "CLoRA: Controlled Low-Rank Adaptation",
//! ACL 2025, arXiv 2410.16801).
//!
//! Per LoRA layer, with A (r × in) and B (out × r):
//!
//! ```text
//! penalty_l = ‖A · P_in‖²_F + ‖Bᵀ · P_out‖²_F
//! penalty   = scale · (mean or sum over layers of penalty_l)
//! ```
//!
//! P_in (in × k') and P_out (out × k'), k' = min(k, dim), are drawn once at `init` from
//! the plugin-local generator seeded with `seed` (layer by layer, P_in then P_out), so
//! they depend only on (seed, init, k, the layers' dimensions in order). When k ≥ dim
//! the projector spans the whole space and the term is plain L2 (a warning says so).
//!
//! Parameters: `k` (128), `init` (orthogonal | gaussian | identity), `reduction`
//! (mean | sum), `scale` (1.0; 0.5 with `reduction = "sum"` reproduces the paper's
//! reference code), `seed` (0).

use clora_plugin_sdk::prelude::*;
use clora_plugin_sdk::tensor::Dtype;

const PARAMS: &[ParamDecl] = &[
    ParamDecl::int(
        "k",
        128,
        "Columns of each projector P: the dimension of the constrained subspace. \
         Capped at the layer's dimension (then the term is plain L2).",
    )
    .min(1.0),
    ParamDecl::choice(
        "init",
        "orthogonal",
        &["orthogonal", "gaussian", "identity"],
        "How P is drawn. orthogonal: orthonormal columns, the Q factor of a seeded \
         Gaussian matrix (the paper's choice). gaussian: i.i.d. N(0, 1/dim) entries, so \
         every column has unit expected norm but columns are not orthogonal. identity: the \
         first k standard basis vectors (constrains the first k input/output coordinates).",
    ),
    ParamDecl::choice(
        "reduction",
        "mean",
        &["mean", "sum"],
        "How the per-layer penalties combine: their mean or their sum.",
    ),
    ParamDecl::float(
        "scale",
        1.0,
        "Multiplies the penalty. 0.5 (with reduction = sum) reproduces the paper's \
         reference code; λ itself is set in the training config.",
    )
    .min(0.0),
    ParamDecl::int(
        "seed",
        0,
        "Seeds the plugin-local generator P is drawn from.",
    )
    .min(0.0),
];

/// The fixed projectors of one layer. P_out is kept transposed: ‖Bᵀ·P_out‖_F equals
/// ‖P_outᵀ·B‖_F, which saves a transpose per layer and step.
struct Projectors {
    p_in: Tensor,
    p_out_t: Tensor,
}

struct Clora {
    layers: Vec<Projectors>,
    /// scale, divided by the layer count for `reduction = mean`.
    factor: f64,
    /// The dtype the projectors are stored in (converted to the factors' on first use).
    dtype: Dtype,
}

#[derive(Clone, Copy, PartialEq)]
enum Init {
    Orthogonal,
    Gaussian,
    Identity,
}

/// A (dim × min(k, dim)) projector.
fn projector(generator: &Generator, init: Init, dim: u64, k: u64) -> Result<Tensor> {
    let cols = k.min(dim);
    Ok(match init {
        Init::Orthogonal => generator.orthogonal(dim, cols)?,
        Init::Gaussian => generator
            .randn(&[dim, cols])?
            .mul_scalar(1.0 / (dim as f64).sqrt())?,
        Init::Identity if cols == dim => tensor::eye(dim)?,
        Init::Identity => tensor::cat(
            &[&tensor::eye(cols)?, &tensor::zeros(&[dim - cols, cols])?],
            0,
        )?,
    })
}

/// One warning per factor for the layers whose dimension is ≤ k.
fn warn_degenerate(layers: &[Layer], k: u64, factor: &str, dim: impl Fn(&Layer) -> u32) {
    let hit: Vec<&Layer> = layers.iter().filter(|l| u64::from(dim(l)) <= k).collect();
    if let Some(first) = hit.first() {
        log::warn(&format!(
            "k = {k} ≥ {factor} dimension on {} of {} layers (e.g. {}: {}): P spans the whole \
             space there, so the {factor} term is plain L2 on that factor",
            hit.len(),
            layers.len(),
            first.name,
            dim(first),
        ));
    }
}

impl Regularizer for Clora {
    const NAME: &'static str = "clora";
    const DESCRIPTION: &'static str =
        "CLoRA: ‖A·P_in‖²_F + ‖Bᵀ·P_out‖²_F per layer with fixed seeded projectors (arXiv 2410.16801).";
    const PARAMS: &'static [ParamDecl] = PARAMS;

    fn init(params: &Params, layers: Vec<Layer>) -> Result<Self> {
        let k = params.uint("k")?;
        let init = match params.text("init")? {
            "orthogonal" => Init::Orthogonal,
            "gaussian" => Init::Gaussian,
            _ => Init::Identity,
        };
        let scale = params.float("scale")?;
        let mean = params.text("reduction")? == "mean";
        let generator = Generator::new(params.uint("seed")?);
        warn_degenerate(&layers, k, "in", |l| l.in_features);
        warn_degenerate(&layers, k, "out", |l| l.out_features);
        let mut projectors = Vec::with_capacity(layers.len());
        for layer in &layers {
            let p_in = projector(&generator, init, layer.in_features.into(), k)
                .with_context(|| format!("layer {}: P_in", layer.name))?;
            let p_out = projector(&generator, init, layer.out_features.into(), k)
                .with_context(|| format!("layer {}: P_out", layer.name))?;
            projectors.push(Projectors {
                p_in,
                p_out_t: p_out.t()?,
            });
        }
        let factor = if mean && !layers.is_empty() {
            scale / layers.len() as f64
        } else {
            scale
        };
        Ok(Clora {
            layers: projectors,
            factor,
            dtype: Dtype::Float32,
        })
    }

    fn compute_penalty(&mut self, _step: u64, a: &[Tensor], b: &[Tensor]) -> Result<Tensor> {
        if let Some(first) = a.first() {
            self.match_dtype(first.dtype())?;
        }
        // Both terms of every layer, summed at once: 6 host operations per layer.
        let mut terms = Vec::with_capacity(2 * a.len());
        for (i, (p, (a, b))) in self.layers.iter().zip(a.iter().zip(b)).enumerate() {
            let a_p = a
                .matmul(&p.p_in)
                .with_context(|| format!("layer {i}: A·P_in"))?;
            let p_b = p
                .p_out_t
                .matmul(b)
                .with_context(|| format!("layer {i}: P_outᵀ·B"))?;
            terms.push(a_p.sq_sum()?);
            terms.push(p_b.sq_sum()?);
        }
        Ok(tensor::sum_all(&terms)?.mul_scalar(self.factor)?)
    }
}

impl Clora {
    /// Converts the projectors once when the LoRA factors use another float dtype
    /// (e.g. bfloat16 training).
    fn match_dtype(&mut self, dtype: Dtype) -> Result<()> {
        if dtype == self.dtype {
            return Ok(());
        }
        for p in &mut self.layers {
            p.p_in = p.p_in.to_dtype(dtype)?;
            p.p_out_t = p.p_out_t.to_dtype(dtype)?;
        }
        self.dtype = dtype;
        Ok(())
    }
}

register_regularizer!(Clora);
