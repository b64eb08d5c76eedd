//! `{{name}}`: a regularizer for clora-host. At every optimizer step the host adds
//! λ × `compute_penalty(...)` to the training loss.
//!
//! This starting point is the squared Frobenius norm of the LoRA factors,
//! scale × Σ_i (‖A_i‖²_F + ‖B_i‖²_F), averaged (default) or summed over layers.
//! Replace it with your own math: each `Tensor` method runs in libtorch on the host's
//! device and stays on the autograd tape, so gradients reach A and B.
//!
//! Build, test and check: `./check.sh` (see README.md).

use clora_plugin_sdk::prelude::*;

struct {{type}} {
    scale: f64,
    mean: bool,
}

impl Regularizer for {{type}} {
    const NAME: &'static str = "{{name}}";
    const DESCRIPTION: &'static str = "Scaled squared Frobenius norm of the LoRA factors.";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::float("scale", 1.0, "Multiplies the penalty.").min(0.0),
        ParamDecl::choice(
            "reduction",
            "mean",
            &["mean", "sum"],
            "How the per-layer penalties combine: their mean or their sum.",
        ),
    ];

    /// Called once before training with checked parameters and every LoRA layer
    /// (`name`, `in_features`, `out_features`, `rank`, `base_weight` (out × in)).
    fn init(params: &Params, _layers: Vec<Layer>) -> Result<Self> {
        Ok({{type}} {
            scale: params.float("scale")?,
            mean: params.text("reduction")? == "mean",
        })
    }

    /// `a[i]` is layer i's LoRA A (rank × in), `b[i]` its B (out × rank), lent for this
    /// call. Returns a one-element tensor built from them.
    fn compute_penalty(&mut self, _step: u64, a: &[Tensor], b: &[Tensor]) -> Result<Tensor> {
        let mut terms = Vec::with_capacity(a.len());
        for (i, (a, b)) in a.iter().zip(b).enumerate() {
            let term = a
                .sq_sum()?
                .add(&b.sq_sum()?)
                .with_context(|| format!("layer {i}"))?;
            terms.push(term);
        }
        let weight = layer_weight(self.scale, self.mean, terms.len());
        Ok(tensor::sum_all(&terms)?.mul_scalar(weight)?)
    }
}

/// The factor on the sum of the per-layer terms: `scale`, divided by the layer count
/// for a mean.
fn layer_weight(scale: f64, mean: bool, layers: usize) -> f64 {
    if mean && layers > 0 {
        scale / layers as f64
    } else {
        scale
    }
}

register_regularizer!({{type}});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_divides_by_the_layer_count() {
        assert_eq!(layer_weight(2.0, true, 4), 0.5);
        assert_eq!(layer_weight(2.0, false, 4), 2.0);
        assert_eq!(layer_weight(2.0, true, 0), 2.0);
    }
}
