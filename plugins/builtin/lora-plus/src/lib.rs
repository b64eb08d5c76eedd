//! `lora-plus`: LoRA+ (Hayou, Ghosh & Yu 2024, arXiv 2402.12354) as a gradient rewrite:
//! B's gradient is multiplied by `ratio` (λ = η_B/η_A, default 16), A's passes unchanged.
//! With plain SGD this is exactly LoRA+'s learning-rate ratio; with Adam(W) the update
//! is nearly scale-invariant, so use per-group learning rates there instead.
//!
//! Parameters: `ratio` (16.0).

use clora_plugin_sdk::prelude::*;

struct LoraPlus {
    ratio: f64,
}

impl GradProcessor for LoraPlus {
    const NAME: &'static str = "lora-plus";
    const DESCRIPTION: &'static str = "LoRA+: scales B's gradient by `ratio`, A's unchanged.";
    const PARAMS: &'static [ParamDecl] =
        &[ParamDecl::float("ratio", 16.0, "Factor on B's gradient (LoRA+'s η_B/η_A).").min(0.0)];

    fn init(params: &Params, _layers: Vec<Layer>) -> Result<Self> {
        Ok(LoraPlus {
            ratio: params.float("ratio")?,
        })
    }

    fn process_grads(&mut self, _step: u64, grad_a: &[Tensor], grad_b: &[Tensor]) -> Result<Grads> {
        let a = grad_a
            .iter()
            .map(|g| Ok(g.detach()?))
            .collect::<Result<Vec<_>>>()?;
        let b = grad_b
            .iter()
            .map(|g| Ok(g.mul_scalar(self.ratio)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Grads { a, b })
    }
}

register_grad_processor!(LoraPlus);
