//! Model sources and tokenizers: pickle refusal, bad specs, the tiny writer's tokenizer
//! against transformers' GPT2TokenizerFast, and a tiny model that trains.
use clora_host::model::{
    load_tokenizer, resolve_model, write_tiny_model, LoraConfig, SequenceClassifier, TinySpec,
};
use clora_host::train::adamw::{AdamW, AdamWConfig};
use tch::{Device, Tensor};

use super::common::{batch, make_tiny, python};

#[test]
fn pickle_only_checkpoint_is_refused_with_the_conversion_command() {
    let tmp = tempfile::tempdir().unwrap();
    make_tiny(tmp.path(), "pickle", 0, &[]);
    let err = resolve_model(tmp.path().to_str().unwrap(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pytorch_model.bin"), "{err}");
    assert!(
        err.contains("python -c") && err.contains("safetensors.torch import save_file"),
        "{err}"
    );
}

#[test]
fn bad_sources_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let err = resolve_model(missing.to_str().unwrap(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("neither an existing directory nor a Hugging Face Hub id"),
        "{err}"
    );
    let err = resolve_model(tmp.path().to_str().unwrap(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no config.json"), "{err}");
}

/// The tiny writer's byte-level tokenizer tokenizes like transformers, both from
/// tokenizer.json and from vocab.json + merges.txt.
#[test]
fn tiny_tokenizer_matches_transformers() {
    let tmp = tempfile::tempdir().unwrap();
    write_tiny_model(tmp.path(), &TinySpec::default(), 1).unwrap();
    let texts = [
        "Hello world",
        "  two  spaces\nand a newline",
        "naïve café — 東京 🙂",
        "end<|endoftext|>",
        "",
    ];
    let texts_path = tmp.path().join("texts.json");
    std::fs::write(&texts_path, serde_json::to_string(&texts).unwrap()).unwrap();
    let out = python(
        "tokenize_check.py",
        &[tmp.path().to_str().unwrap(), texts_path.to_str().unwrap()],
    );
    let reference: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(reference["eos"], 256);
    let ours = load_tokenizer(tmp.path()).unwrap();
    std::fs::remove_file(tmp.path().join("tokenizer.json")).unwrap();
    let from_files = load_tokenizer(tmp.path()).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let ids: Vec<u32> = ours.encode(*text, true).unwrap().get_ids().to_vec();
        let expected: Vec<u32> = serde_json::from_value(reference["json"][i].clone()).unwrap();
        assert_eq!(ids, expected, "tokenizer.json on {text:?}");
        let expected: Vec<u32> =
            serde_json::from_value(reference["vocab_merges"][i].clone()).unwrap();
        assert_eq!(ids, expected, "vocab+merges (transformers) on {text:?}");
        assert_eq!(
            from_files.encode(*text, true).unwrap().get_ids(),
            &ids[..],
            "vocab+merges (here) on {text:?}"
        );
    }
}

/// The default tiny model learns a trivially separable task in a few dozen steps.
#[test]
fn tiny_model_trains() {
    let tmp = tempfile::tempdir().unwrap();
    write_tiny_model(tmp.path(), &TinySpec::default(), 3).unwrap();
    let files = resolve_model(tmp.path().to_str().unwrap(), None).unwrap();
    let model = SequenceClassifier::load(&files, &LoraConfig::default(), Device::Cpu, 3).unwrap();
    // Label 1 iff the text starts with 'a' (97 → id 64); 'b' → 65.
    let rows: Vec<Vec<i64>> = (0..8)
        .map(|i| vec![if i % 2 == 0 { 64 } else { 65 }, 10 + i, 20, 30 + i])
        .collect();
    let labels = Tensor::from_slice(&[1i64, 0, 1, 0, 1, 0, 1, 0]);
    let (ids, mask) = batch(&rows, 256);
    let mut optimizer = AdamW::new(
        model.trainable().variables().into_iter().collect(),
        AdamWConfig {
            lr: 1e-2,
            ..AdamWConfig::default()
        },
    );
    let loss_at = |m: &SequenceClassifier| {
        tch::no_grad(|| {
            m.forward_t(&ids, &mask, false)
                .cross_entropy_for_logits(&labels)
                .double_value(&[])
        })
    };
    let before = loss_at(&model);
    for _ in 0..40 {
        model
            .forward_t(&ids, &mask, true)
            .cross_entropy_for_logits(&labels)
            .backward();
        optimizer.step();
        optimizer.zero_grad();
    }
    let after = loss_at(&model);
    assert!(after < 0.5 * before, "loss {before} -> {after}");
    // Only LoRA and score are trainable; the base computes no gradients.
    let frozen = model.frozen().variables();
    assert!(!frozen.is_empty());
    assert!(frozen
        .values()
        .all(|v| !v.requires_grad() && !v.grad().defined()));
}
