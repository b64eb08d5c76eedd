//! AdamW against torch.optim.AdamW over several steps (weight decay, bias correction,
//! gradients of mixed scales), including its exported state, both through the packed
//! buffers the trainer uses and parameter by parameter.
use clora_host::train::adamw::{AdamW, AdamWConfig};

use super::common::{max_abs_diff, python, read_map};

#[test]
fn adamw_matches_torch_over_five_steps_packed() {
    adamw_matches_torch_over_five_steps(true);
}

#[test]
fn adamw_matches_torch_over_five_steps_per_parameter() {
    adamw_matches_torch_over_five_steps(false);
}

/// `packed`: ask for the gradients before each step as the trainer does (which moves
/// them into the optimizer's flat buffer), else step on the parameters' own gradients.
fn adamw_matches_torch_over_five_steps(packed: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("adamw.safetensors");
    python(
        "adamw_reference.py",
        &[
            path.to_str().unwrap(),
            "--steps",
            "5",
            "--lr",
            "0.01",
            "--weight-decay",
            "0.1",
        ],
    );
    let reference = read_map(&path);
    let names = ["w", "b"];
    let params: Vec<(String, tch::Tensor)> = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                reference[&format!("init.{n}")]
                    .copy()
                    .set_requires_grad(true),
            )
        })
        .collect();
    let config = AdamWConfig {
        lr: 0.01,
        weight_decay: 0.1,
        ..AdamWConfig::default()
    };
    let mut optimizer = AdamW::new(
        params
            .iter()
            .map(|(n, t)| (n.clone(), t.shallow_clone()))
            .collect(),
        config,
    );
    for step in 1..=5 {
        for (name, param) in &params {
            let mut grad = param.grad();
            if grad.defined() {
                grad.copy_(&reference[&format!("grad.{step}.{name}")]);
            } else {
                // First step: create the .grad through a backward of <param, g>.
                (param * &reference[&format!("grad.{step}.{name}")])
                    .sum(tch::Kind::Float)
                    .backward();
            }
        }
        if packed {
            // From the second step on, the gradients live in one flat buffer.
            assert_eq!(optimizer.gradients().unwrap().len(), 1, "step {step}");
        }
        optimizer.step();
    }
    for (name, param) in &params {
        let diff = max_abs_diff(param, &reference[&format!("final.{name}")]);
        assert!(diff < 1e-6, "{name}: {diff}");
    }
    let state: std::collections::HashMap<String, tch::Tensor> =
        optimizer.state_tensors().into_iter().collect();
    for name in names {
        for part in ["step", "exp_avg", "exp_avg_sq"] {
            let key = format!("{name}.{part}");
            let diff = max_abs_diff(&state[&key], &reference[&key]);
            assert!(diff < 1e-7, "{key}: {diff}");
        }
    }
    // Importing the state into a fresh optimizer continues identically.
    let mut resumed = AdamW::new(
        params
            .iter()
            .map(|(n, t)| (n.clone(), t.detach().copy().set_requires_grad(true)))
            .collect(),
        config,
    );
    resumed
        .load_state_tensors(&optimizer.state_tensors())
        .unwrap();
    assert_eq!(resumed.state_tensors().len(), 6);
}
