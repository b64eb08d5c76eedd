//! `{{name}}`: a gradient processor for clora-host. After backward, before gradient
//! clipping and the optimizer step, the host replaces each LoRA gradient by what
//! `process_grads` returns.
//!
//! This starting point clips each gradient matrix G to a maximum Frobenius norm:
//! G · min(1, max_norm / ‖G‖_F). Replace it with your own rule; the host checks that
//! every replacement has its gradient's shape and is finite.
//!
//! Build, test and check: `./check.sh` (see README.md).

use clora_plugin_sdk::prelude::*;

struct {{type}} {
    max_norm: f64,
}

impl GradProcessor for {{type}} {
    const NAME: &'static str = "{{name}}";
    const DESCRIPTION: &'static str = "Clips each LoRA gradient matrix to a maximum Frobenius norm.";
    const PARAMS: &'static [ParamDecl] = &[ParamDecl::float(
        "max_norm",
        1.0,
        "Largest Frobenius norm a gradient matrix keeps; larger ones are scaled down to it.",
    )
    .min(0.0)];

    /// Called once before training with checked parameters and every LoRA layer.
    fn init(params: &Params, _layers: Vec<Layer>) -> Result<Self> {
        Ok({{type}} {
            max_norm: params.float("max_norm")?,
        })
    }

    /// `grad_a[i]` (rank × in) and `grad_b[i]` (out × rank) are layer i's gradients at
    /// optimizer step `step`, lent for this call.
    fn process_grads(&mut self, _step: u64, grad_a: &[Tensor], grad_b: &[Tensor]) -> Result<Grads> {
        let clip = |g: &Tensor| -> Result<Tensor> {
            // `item()` brings one number to the guest (a device sync on CUDA).
            let norm = g.norm_fro()?.item()?;
            Ok(g.mul_scalar(clip_factor(norm, self.max_norm))?)
        };
        Ok(Grads {
            a: grad_a.iter().map(clip).collect::<Result<_>>()?,
            b: grad_b.iter().map(clip).collect::<Result<_>>()?,
        })
    }
}

/// What a gradient with Frobenius norm `norm` is multiplied by.
fn clip_factor(norm: f64, max_norm: f64) -> f64 {
    if norm > max_norm {
        max_norm / norm
    } else {
        1.0
    }
}

register_grad_processor!({{type}});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gradients_above_the_bound_shrink_to_it() {
        assert_eq!(clip_factor(0.5, 1.0), 1.0);
        assert_eq!(clip_factor(1.0, 1.0), 1.0);
        assert_eq!(clip_factor(4.0, 1.0) * 4.0, 1.0);
        assert_eq!(clip_factor(3.0, 0.0), 0.0);
    }
}
