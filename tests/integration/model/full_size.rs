//! A randomly initialised full-size GPT-2 (124M, written by make_tiny_gpt2.py in the
//! Hub's layout) loads and trains a step on the CPU.
use clora_host::model::{resolve_model, LoraConfig, SequenceClassifier};
use clora_host::train::adamw::{AdamW, AdamWConfig};
use tch::{Device, Tensor};

use super::common::{batch, make_tiny};

#[test]
fn full_size_gpt2_loads_and_trains_a_step() {
    let tmp = tempfile::tempdir().unwrap();
    let gpt2 = [
        "--n-layer",
        "12",
        "--n-head",
        "12",
        "--n-embd",
        "768",
        "--n-positions",
        "1024",
        "--vocab-size",
        "50257",
    ];
    make_tiny(tmp.path(), "hub", 0, &gpt2);
    let files = resolve_model(tmp.path().to_str().unwrap(), None).unwrap();
    let model = SequenceClassifier::load(&files, &LoraConfig::default(), Device::Cpu, 0).unwrap();
    let base: i64 = model
        .frozen()
        .variables()
        .values()
        .map(Tensor::numel)
        .map(|n| n as i64)
        .sum();
    assert_eq!(base, 124_439_808, "GPT-2 small's parameter count");
    let layers = model.lora_layers();
    assert_eq!(layers.len(), 12);
    assert_eq!(
        (
            layers[0].in_features,
            layers[0].out_features,
            layers[0].rank
        ),
        (768, 2304, 8)
    );

    let rows: Vec<Vec<i64>> = (0..4)
        .map(|i| (0..32 + i).map(|t| (t * 97 + i * 13) % 50256).collect())
        .collect();
    let (ids, mask) = batch(&rows, 50256);
    let labels = Tensor::from_slice(&[0i64, 1, 0, 1]);
    let mut optimizer = AdamW::new(
        model.trainable().variables().into_iter().collect(),
        AdamWConfig {
            lr: 1e-3,
            ..AdamWConfig::default()
        },
    );
    let before = model.lora_layers()[0].b.detach().copy();
    let loss = model
        .forward_t(&ids, &mask, true)
        .cross_entropy_for_logits(&labels);
    assert!(loss.double_value(&[]).is_finite());
    loss.backward();
    optimizer.step();
    let after = &model.lora_layers()[0].b;
    assert!(!after.equal(&before), "LoRA B was updated");
}
