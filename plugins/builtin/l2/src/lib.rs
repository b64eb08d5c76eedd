//! `l2`: the LoRA-L2 baseline of the CLoRA paper (arXiv 2410.16801, Table 1):
//! per layer ‖A‖²_F + ‖B‖²_F, then the mean (default) or sum over layers.
//!
//! Parameters: `reduction` = mean | sum.

use clora_plugin_sdk::prelude::*;

struct L2 {
    mean: bool,
}

impl Regularizer for L2 {
    const NAME: &'static str = "l2";
    const DESCRIPTION: &'static str =
        "LoRA-L2 baseline: ‖A‖²_F + ‖B‖²_F per layer, mean or sum over layers.";
    const PARAMS: &'static [ParamDecl] = &[ParamDecl::choice(
        "reduction",
        "mean",
        &["mean", "sum"],
        "How the per-layer penalties combine: their mean or their sum.",
    )];

    fn init(params: &Params, _layers: Vec<Layer>) -> Result<Self> {
        Ok(L2 {
            mean: params.text("reduction")? == "mean",
        })
    }

    fn compute_penalty(&mut self, _step: u64, a: &[Tensor], b: &[Tensor]) -> Result<Tensor> {
        let mut terms = Vec::with_capacity(2 * a.len());
        for (i, (a, b)) in a.iter().zip(b).enumerate() {
            terms.push(a.sq_sum().with_context(|| format!("layer {i}: ‖A‖²"))?);
            terms.push(b.sq_sum().with_context(|| format!("layer {i}: ‖B‖²"))?);
        }
        let total = tensor::sum_all(&terms)?;
        if self.mean && !a.is_empty() {
            return Ok(total.mul_scalar(1.0 / a.len() as f64)?);
        }
        Ok(total)
    }
}

register_regularizer!(L2);
