//! `clora-host predict`: JSON Lines in, one prediction per line out, errors with line
//! numbers, and a Hub id resolved through HF_ENDPOINT / HF_HOME / HF_HUB_OFFLINE.
use std::process::Command;

use clora_host::model::{
    load_tokenizer, resolve_model, write_tiny_model, SequenceClassifier, TinySpec,
};
use tch::{Device, Tensor};

use super::common::max_abs_diff;
use super::hub_loopback::{tiny_model_files, HubServer};
use crate::support::host_binary;

fn tiny(dir: &std::path::Path) {
    write_tiny_model(
        dir,
        &TinySpec {
            n_layer: 1,
            n_head: 2,
            n_embd: 16,
            n_positions: 32,
        },
        9,
    )
    .unwrap();
}

#[test]
fn predicts_one_line_per_input_matching_the_library() {
    let tmp = tempfile::tempdir().unwrap();
    let (model_dir, adapter_dir) = (tmp.path().join("model"), tmp.path().join("adapter"));
    tiny(&model_dir);
    let files = resolve_model(model_dir.to_str().unwrap(), None).unwrap();
    let model = SequenceClassifier::load(&files, &Default::default(), Device::Cpu, 4).unwrap();
    // Make B non-zero so the adapter matters.
    tch::no_grad(|| {
        model.lora_layers()[0]
            .b
            .shallow_clone()
            .copy_(&(Tensor::ones([48, 8], (tch::Kind::Float, Device::Cpu)) * 0.05))
    });
    model.save_adapter(&adapter_dir).unwrap();
    let input = tmp.path().join("in.jsonl");
    let texts = [
        "a short one",
        "a much longer text that will be truncated to eight tokens",
        "",
    ];
    let lines: Vec<String> = texts
        .iter()
        .map(|t| serde_json::json!({"text": t, "id": 1}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let output = tmp.path().join("out.jsonl");
    let status = Command::new(host_binary())
        .args([
            "predict",
            "--model",
            model_dir.to_str().unwrap(),
            "--adapter",
            adapter_dir.to_str().unwrap(),
        ])
        .args([
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ])
        .args(["--batch-size", "2", "--max-length", "8", "--device", "cpu"])
        .status()
        .unwrap();
    assert!(status.success());
    let predictions: Vec<serde_json::Value> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(predictions.len(), 3);

    let tokenizer = load_tokenizer(&model_dir).unwrap();
    for (text, prediction) in texts.iter().zip(&predictions) {
        let mut ids: Vec<i64> = tokenizer
            .encode(*text, true)
            .unwrap()
            .get_ids()
            .iter()
            .map(|&i| i64::from(i))
            .collect();
        ids.truncate(8);
        if ids.is_empty() {
            ids.push(256);
        }
        let ids = Tensor::from_slice(&ids).unsqueeze(0);
        let expected = tch::no_grad(|| model.forward_t(&ids, &ids.ones_like(), false)).get(0);
        let logits: Vec<f32> = serde_json::from_value(prediction["logits"].clone()).unwrap();
        assert!(
            max_abs_diff(&Tensor::from_slice(&logits), &expected) < 1e-5,
            "{text:?}: {prediction}"
        );
        let label = prediction["label"].as_u64().unwrap() as usize;
        assert_eq!(label, usize::from(logits[1] > logits[0]));
        let p = prediction["probability"].as_f64().unwrap();
        let softmax = 1.0 / (1.0 + f64::from(logits[1 - label] - logits[label]).exp());
        assert!((p - softmax).abs() < 1e-6 && p >= 0.5, "{prediction}");
    }
}

#[test]
fn bad_input_line_is_reported_with_its_number() {
    let tmp = tempfile::tempdir().unwrap();
    tiny(tmp.path());
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"text\": \"ok\"}\n{\"label\": 1}\n").unwrap();
    let out = Command::new(host_binary())
        .args([
            "predict",
            "--model",
            tmp.path().to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--device",
            "cpu",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in.jsonl:2") && stderr.contains("\"text\""),
        "{stderr}"
    );
}

/// A Hub id goes through HF_ENDPOINT and HF_HOME; with HF_HUB_OFFLINE the cached copy
/// is used and an uncached id fails clearly.
#[test]
fn hub_id_honours_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    tiny(&source);
    let names = ["config.json", "model.safetensors", "tokenizer.json"];
    let server = HubServer::start(tiny_model_files("org/tiny", &source, &names));
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"text\": \"hello\"}\n").unwrap();
    let hf_home = tmp.path().join("hf");
    let predict = |model: &str, offline: bool| {
        let mut cmd = Command::new(host_binary());
        cmd.args([
            "predict",
            "--model",
            model,
            "--input",
            input.to_str().unwrap(),
            "--device",
            "cpu",
        ])
        .env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", &hf_home)
        .env_remove("HF_HUB_CACHE")
        .env_remove("HUGGINGFACE_HUB_CACHE");
        if offline {
            cmd.env("HF_HUB_OFFLINE", "1");
        } else {
            cmd.env_remove("HF_HUB_OFFLINE");
        }
        cmd.output().unwrap()
    };
    let online = predict("org/tiny", false);
    assert!(
        online.status.success(),
        "{}",
        String::from_utf8_lossy(&online.stderr)
    );
    assert!(hf_home.join("hub/models--org--tiny/snapshots").is_dir());
    let offline = predict("org/tiny", true);
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
    assert_eq!(online.stdout, offline.stdout);
    let missing = predict("org/other", true);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("HF_HUB_OFFLINE"));
}
