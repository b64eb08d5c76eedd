//! `l2` (‖A‖²_F + ‖B‖²_F per layer, mean or sum) and `lora-plus` (B's gradient × ratio)
//! against their closed forms.
use tch::{Device, Kind, Tensor};

use super::{factors, grads, layers, params, rel_err, runtime, wasm};
use super::{GPT2_IN, GPT2_LAYERS, GPT2_OUT, GPT2_RANK};

#[test]
fn l2_penalty_and_gradients_match_the_closed_form() {
    let (rt, _) = runtime();
    let shapes = layers(GPT2_LAYERS, GPT2_IN, GPT2_OUT, GPT2_RANK);
    let (a, b) = factors(&shapes, Kind::Float);
    let leaves: Vec<&Tensor> = a.iter().chain(&b).collect();
    let native: f64 = leaves
        .iter()
        .map(|t| t.square().sum(Kind::Double).double_value(&[]))
        .sum();
    for (reduction, divisor) in [("sum", 1.0), ("mean", GPT2_LAYERS as f64)] {
        let mut plugin = rt
            .load_regularizer(
                &wasm("l2"),
                &params(&format!("reduction = \"{reduction}\"")),
                &shapes,
                Device::Cpu,
            )
            .expect("load l2");
        let penalty = plugin.compute_penalty(0, &a, &b).expect("penalty");
        let want = native / divisor;
        let got = penalty.double_value(&[]);
        assert!(
            (got - want).abs() <= 1e-6 * want,
            "{reduction}: {got} != {want}"
        );
        for (g, leaf) in grads(&penalty, &leaves).iter().zip(&leaves) {
            let err = rel_err(g, &(*leaf * (2.0 / divisor)));
            assert!(err <= 1e-6, "{reduction}: gradient off by {err:e}");
        }
    }
}

#[test]
fn lora_plus_scales_b_and_keeps_a() {
    let (rt, _) = runtime();
    let shapes = layers(2, GPT2_IN, GPT2_OUT, GPT2_RANK);
    let ga: Vec<Tensor> = shapes
        .iter()
        .map(|_| Tensor::randn([8, 768], (Kind::Float, Device::Cpu)))
        .collect();
    let gb: Vec<Tensor> = shapes
        .iter()
        .map(|_| Tensor::randn([2304, 8], (Kind::Float, Device::Cpu)))
        .collect();
    for (toml, ratio) in [("", 16.0), ("ratio = 4.0", 4.0), ("ratio = 0.0", 0.0)] {
        let mut plugin = rt
            .load_grad_processor(&wasm("lora-plus"), &params(toml), &shapes, Device::Cpu)
            .expect("load lora-plus");
        let (new_a, new_b) = plugin.process_grads(0, &ga, &gb).expect("process_grads");
        for i in 0..shapes.len() {
            assert!(new_a[i].equal(&ga[i]), "{toml:?}: A's gradient changed");
            assert!(
                new_b[i].equal(&(&gb[i] * ratio)),
                "{toml:?}: B's gradient is not × {ratio}"
            );
        }
    }
}
