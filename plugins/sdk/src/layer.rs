//! [`Layer`]: one LoRA-adapted layer as `init` describes it, the same for regularizers
//! and gradient processors.

use crate::bindings::grad_processor_world::exports::clora::plugin::grad_processor;
use crate::bindings::regularizer_world::exports::clora::plugin::regularizer;
use crate::tensor::Tensor;

/// One LoRA-adapted layer: A is (rank × in_features), B is (out_features × rank).
#[derive(Debug)]
pub struct Layer {
    /// The module path, e.g. `transformer.h.0.attn.c_attn`.
    pub name: String,
    /// Input features of the base layer.
    pub in_features: u32,
    /// Output features of the base layer.
    pub out_features: u32,
    /// LoRA rank r.
    pub rank: u32,
    /// The frozen base weight, (out × in), read-only.
    pub base_weight: Tensor,
}

impl From<regularizer::Layer> for Layer {
    fn from(l: regularizer::Layer) -> Self {
        Layer {
            name: l.name,
            in_features: l.in_features,
            out_features: l.out_features,
            rank: l.rank,
            base_weight: l.base_weight,
        }
    }
}

impl From<grad_processor::Layer> for Layer {
    fn from(l: grad_processor::Layer) -> Self {
        Layer {
            name: l.name,
            in_features: l.in_features,
            out_features: l.out_features,
            rank: l.rank,
            base_weight: l.base_weight,
        }
    }
}
