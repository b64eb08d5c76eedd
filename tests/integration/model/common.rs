//! Helpers for the model tests: the venv's Python, tiny checkpoints, comparisons.
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use clora_host::model::weights::read_safetensors;
use tch::{Kind, Tensor};

use crate::support::{repo_root, venv_python};

/// Runs `tests/python/<script>` with the venv's Python; panics with its stderr on failure.
pub fn python(script: &str, args: &[&str]) -> String {
    let path = repo_root().join("tests/python").join(script);
    let output = Command::new(venv_python())
        .arg(&path)
        .args(args)
        .env("TRANSFORMERS_VERBOSITY", "error")
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("run the venv's python");
    assert!(
        output.status.success(),
        "{script} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// A random tiny GPT-2 from make_tiny_gpt2.py (`layout`: classifier, hub or pickle).
pub fn make_tiny(dir: &Path, layout: &str, seed: u64, extra: &[&str]) {
    let seed = seed.to_string();
    let mut args = vec![dir.to_str().unwrap(), "--layout", layout, "--seed", &seed];
    args.extend_from_slice(extra);
    python("make_tiny_gpt2.py", &args);
}

/// All tensors of a safetensors file by name.
pub fn read_map(path: &Path) -> HashMap<String, Tensor> {
    read_safetensors(path).unwrap().into_iter().collect()
}

/// max |a - b|.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size(), "shapes differ");
    (a.to_kind(Kind::Double) - b.to_kind(Kind::Double))
        .abs()
        .max()
        .double_value(&[])
}

/// ‖a - b‖ / ‖b‖.
pub fn rel_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size(), "shapes differ");
    let b = b.to_kind(Kind::Double);
    let diff = (a.to_kind(Kind::Double) - &b).norm().double_value(&[]);
    diff / b.norm().double_value(&[]).max(1e-30)
}

/// Right-padded [B, T] ids and mask from token rows, padding with `pad`.
pub fn batch(rows: &[Vec<i64>], pad: i64) -> (Tensor, Tensor) {
    let width = rows.iter().map(Vec::len).max().unwrap();
    let mut ids = Vec::new();
    let mut mask = Vec::new();
    for row in rows {
        ids.extend(
            row.iter()
                .copied()
                .chain(std::iter::repeat(pad))
                .take(width),
        );
        mask.extend((0..width).map(|i| i64::from(i < row.len())));
    }
    let shape = [rows.len() as i64, width as i64];
    (
        Tensor::from_slice(&ids).reshape(shape),
        Tensor::from_slice(&mask).reshape(shape),
    )
}

/// A [B, T] tensor as nested JSON lists.
pub fn to_json(t: &Tensor) -> serde_json::Value {
    let rows: Vec<Vec<i64>> = (0..t.size()[0])
        .map(|i| Vec::try_from(&t.get(i)).unwrap())
        .collect();
    serde_json::json!(rows)
}
