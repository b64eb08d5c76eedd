//! Parity with transformers 5.24 + PEFT 0.21.2 on a random tiny GPT-2 (fp32, dropout
//! off): logits (1e-5), LoRA/score gradients (1e-4 relative), one AdamW step (1e-5),
//! the output-change sums, and adapters in both directions.
use std::path::Path;

use clora_host::model::{resolve_model, LoraConfig, SequenceClassifier};
use clora_host::train::adamw::{AdamW, AdamWConfig};
use tch::{Device, Kind, Tensor};

use super::common::{batch, make_tiny, max_abs_diff, python, read_map, rel_diff, to_json};

const PAD: i64 = 256;

fn rows() -> Vec<Vec<i64>> {
    vec![
        vec![72, 101, 108, 108, 111, 32, 119],
        vec![3, 250, 17],
        vec![9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 200, 100],
    ]
}

/// Writes the batch for peft_parity.py and returns (ids, mask, labels).
fn write_inputs(path: &Path, lr: f64, weight_decay: f64) -> (Tensor, Tensor, Tensor) {
    let (ids, mask) = batch(&rows(), PAD);
    let labels = Tensor::from_slice(&[1i64, 0, 1]);
    let json = serde_json::json!({
        "input_ids": to_json(&ids), "attention_mask": to_json(&mask), "labels": [1, 0, 1],
        "lr": lr, "weight_decay": weight_decay,
    });
    std::fs::write(path, json.to_string()).unwrap();
    (ids, mask, labels)
}

fn peft_key(var_name: &str) -> String {
    format!("base_model.model.{var_name}")
}

#[test]
fn logits_gradients_adamw_and_output_change_match_peft() {
    let tmp = tempfile::tempdir().unwrap();
    let (model_dir, adapter_dir) = (tmp.path().join("model"), tmp.path().join("adapter"));
    make_tiny(&model_dir, "classifier", 0, &[]);
    let model_arg = model_dir.to_str().unwrap();
    python(
        "peft_parity.py",
        &[
            "init-adapter",
            model_arg,
            adapter_dir.to_str().unwrap(),
            "--targets",
            "c_attn,mlp.c_proj",
            "--r",
            "4",
            "--alpha",
            "8",
        ],
    );
    let (lr, weight_decay) = (1e-2, 0.1);
    let inputs = tmp.path().join("inputs.json");
    let (ids, mask, labels) = write_inputs(&inputs, lr, weight_decay);
    let reference = tmp.path().join("reference.safetensors");
    python(
        "peft_parity.py",
        &[
            "run",
            model_arg,
            adapter_dir.to_str().unwrap(),
            inputs.to_str().unwrap(),
            reference.to_str().unwrap(),
        ],
    );
    let expected = read_map(&reference);

    let files = resolve_model(model_arg, None).unwrap();
    let model = SequenceClassifier::load_with_adapter(&files, &adapter_dir, Device::Cpu).unwrap();
    assert_eq!(
        model.lora_layers().len(),
        4,
        "c_attn and mlp.c_proj in 2 layers"
    );

    model.start_output_change();
    let logits = model.forward_t(&ids, &mask, false);
    let stats = model.output_change();
    model.stop_output_change();
    let diff = max_abs_diff(&logits, &expected["logits"]);
    assert!(
        diff < 1e-5,
        "logits differ by {diff}: {logits} vs {}",
        expected["logits"]
    );

    assert_eq!(stats.len(), 4);
    for stat in &stats {
        let sum = expected[&format!("F.{}.sum", stat.name)].double_value(&[0]);
        let count = expected[&format!("F.{}.count", stat.name)].double_value(&[0]);
        assert_eq!(stat.count as f64, count, "{}", stat.name);
        assert!(
            ((stat.sum - sum) / sum).abs() < 1e-4,
            "{}: F sum {} vs {sum}",
            stat.name,
            stat.sum
        );
    }

    let loss = logits.cross_entropy_for_logits(&labels);
    loss.backward();
    let variables = model.trainable().variables();
    assert_eq!(variables.len(), 9, "8 LoRA factors + score");
    for (name, var) in &variables {
        let reference = &expected[&format!("grad.{}", peft_key(name))];
        let rel = rel_diff(&var.grad(), reference);
        assert!(rel < 1e-4, "gradient of {name}: relative difference {rel}");
    }

    let config = AdamWConfig {
        lr,
        weight_decay,
        ..AdamWConfig::default()
    };
    let mut optimizer = AdamW::new(
        variables
            .iter()
            .map(|(n, t)| (n.clone(), t.shallow_clone()))
            .collect(),
        config,
    );
    optimizer.step();
    for (name, var) in &variables {
        let diff = max_abs_diff(var, &expected[&format!("after.{}", peft_key(name))]);
        assert!(diff < 1e-5, "{name} after one AdamW step differs by {diff}");
    }
}

/// Trains a few steps here, saves the adapter, and checks that PEFT's
/// `PeftModel.from_pretrained` reproduces the logits, and that it loads back here.
#[test]
fn adapter_trained_here_loads_in_peft_and_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (model_dir, adapter_dir) = (tmp.path().join("model"), tmp.path().join("adapter"));
    make_tiny(&model_dir, "classifier", 1, &[]);
    let files = resolve_model(model_dir.to_str().unwrap(), None).unwrap();
    // `c_proj` matches attn.c_proj and mlp.c_proj, like PEFT; rsLoRA scaling.
    let lora = LoraConfig {
        r: 4,
        alpha: 8.0,
        dropout: 0.1,
        target_modules: vec!["c_attn".into(), "c_proj".into()],
        use_rslora: true,
    };
    let model = SequenceClassifier::load(&files, &lora, Device::Cpu, 7).unwrap();
    assert_eq!(model.lora_layers().len(), 6);
    let inputs = tmp.path().join("inputs.json");
    let (ids, mask, labels) = write_inputs(&inputs, 1e-3, 0.0);
    let config = AdamWConfig {
        lr: 2e-2,
        ..AdamWConfig::default()
    };
    let mut optimizer = AdamW::new(model.trainable().variables().into_iter().collect(), config);
    for _ in 0..3 {
        let loss = model
            .forward_t(&ids, &mask, true)
            .cross_entropy_for_logits(&labels);
        loss.backward();
        optimizer.step();
        optimizer.zero_grad();
    }
    let b_norm = model.lora_layers()[0].b.norm().double_value(&[]);
    assert!(b_norm > 1e-3, "B moved away from zero ({b_norm})");
    let logits = tch::no_grad(|| model.forward_t(&ids, &mask, false));
    model.save_adapter(&adapter_dir).unwrap();

    let reference = tmp.path().join("reference.safetensors");
    let model_arg = model_dir.to_str().unwrap();
    python(
        "peft_parity.py",
        &[
            "run",
            model_arg,
            adapter_dir.to_str().unwrap(),
            inputs.to_str().unwrap(),
            reference.to_str().unwrap(),
        ],
    );
    let expected = read_map(&reference);
    let diff = max_abs_diff(&logits, &expected["logits"]);
    assert!(
        diff < 1e-5,
        "PEFT's logits for our adapter differ by {diff}"
    );

    let reloaded =
        SequenceClassifier::load_with_adapter(&files, &adapter_dir, Device::Cpu).unwrap();
    assert_eq!(
        reloaded.lora_config(),
        &LoraConfig {
            target_modules: vec!["c_attn".into(), "c_proj".into()],
            ..lora
        }
    );
    let again = tch::no_grad(|| reloaded.forward_t(&ids, &mask, false));
    assert!(max_abs_diff(&logits, &again) < 1e-6);
}

/// A sequence's logits are the same alone (no padding) and inside a padded batch.
#[test]
fn padding_and_batching_do_not_change_logits() {
    let tmp = tempfile::tempdir().unwrap();
    let (model_dir, adapter_dir) = (tmp.path().join("model"), tmp.path().join("adapter"));
    make_tiny(&model_dir, "classifier", 2, &[]);
    let model_arg = model_dir.to_str().unwrap();
    python(
        "peft_parity.py",
        &[
            "init-adapter",
            model_arg,
            adapter_dir.to_str().unwrap(),
            "--r",
            "2",
            "--alpha",
            "4",
        ],
    );
    let files = resolve_model(model_arg, None).unwrap();
    let model = SequenceClassifier::load_with_adapter(&files, &adapter_dir, Device::Cpu).unwrap();
    let rows = rows();
    let (ids, mask) = batch(&rows, PAD);
    let batched = tch::no_grad(|| model.forward_t(&ids, &mask, false));
    for (i, row) in rows.iter().enumerate() {
        let (one, one_mask) = batch(std::slice::from_ref(row), PAD);
        let alone = tch::no_grad(|| model.forward_t(&one, &one_mask, false));
        let diff = max_abs_diff(&alone.get(0), &batched.get(i as i64));
        assert!(diff < 1e-5, "row {i}: {diff}");
        // Extra padding columns change nothing either.
        let mut longer = row.clone();
        longer.extend([PAD; 5]);
        let padded_ids = Tensor::from_slice(&longer).unsqueeze(0);
        let padded_mask = padded_ids.ne(PAD).to_kind(Kind::Int64);
        let padded = tch::no_grad(|| model.forward_t(&padded_ids, &padded_mask, false));
        assert!(
            max_abs_diff(&alone, &padded) < 1e-5,
            "row {i} with trailing padding"
        );
    }
}

/// The Hub layout (no `transformer.` prefix, old attn.bias buffers, no score) gives
/// the same model as the classifier layout written from the same seed.
#[test]
fn hub_layout_loads_like_classifier_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let (classifier, hub, adapter) = (
        tmp.path().join("cls"),
        tmp.path().join("hub"),
        tmp.path().join("adapter"),
    );
    make_tiny(&classifier, "classifier", 3, &[]);
    make_tiny(&hub, "hub", 3, &[]);
    python(
        "peft_parity.py",
        &[
            "init-adapter",
            classifier.to_str().unwrap(),
            adapter.to_str().unwrap(),
        ],
    );
    let (ids, mask) = batch(&rows(), PAD);
    let logits = |dir: &Path| {
        let files = resolve_model(dir.to_str().unwrap(), None).unwrap();
        let model = SequenceClassifier::load_with_adapter(&files, &adapter, Device::Cpu).unwrap();
        tch::no_grad(|| model.forward_t(&ids, &mask, false))
    };
    assert!(max_abs_diff(&logits(&classifier), &logits(&hub)) < 1e-6);

    // Without a score.weight the head is seeded N(0, 0.02²).
    let files = resolve_model(hub.to_str().unwrap(), None).unwrap();
    let lora = LoraConfig::default();
    let score = |seed| {
        SequenceClassifier::load(&files, &lora, Device::Cpu, seed)
            .unwrap()
            .score_weight()
            .detach()
            .copy()
    };
    let (a, b, c) = (score(5), score(5), score(6));
    assert!(a.equal(&b), "same seed, same head");
    assert!(!a.equal(&c), "another seed, another head");
    let std = a.std(true).double_value(&[]);
    assert!((0.01..0.03).contains(&std), "score std {std}");
}

/// An adapter for another model size fails with the tensor's name and both shapes.
#[test]
fn adapter_shape_mismatch_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (small, large, adapter) = (
        tmp.path().join("small"),
        tmp.path().join("large"),
        tmp.path().join("adapter"),
    );
    make_tiny(&small, "classifier", 0, &["--n-embd", "16"]);
    make_tiny(&large, "classifier", 0, &["--n-embd", "32"]);
    python(
        "peft_parity.py",
        &[
            "init-adapter",
            small.to_str().unwrap(),
            adapter.to_str().unwrap(),
            "--r",
            "8",
            "--alpha",
            "16",
        ],
    );
    let files = resolve_model(large.to_str().unwrap(), None).unwrap();
    let mut model =
        SequenceClassifier::load(&files, &LoraConfig::default(), Device::Cpu, 0).unwrap();
    let err = model.load_adapter(&adapter).unwrap_err().to_string();
    assert!(err.contains("`base_model.model.score.weight`"), "{err}");
    assert!(
        err.contains("shape [2, 16]") && err.contains("expects [2, 32]"),
        "{err}"
    );
    // Another rank is refused before any tensor is read.
    let other = LoraConfig {
        r: 4,
        ..LoraConfig::default()
    };
    let mut model = SequenceClassifier::load(&files, &other, Device::Cpu, 0).unwrap();
    let err = model.load_adapter(&adapter).unwrap_err().to_string();
    assert!(err.contains("r=8") && err.contains("r=4"), "{err}");
}
