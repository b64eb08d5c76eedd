//! `clora`: the penalty Σ_l ‖A_l·P_in,l‖²_F + ‖B_lᵀ·P_out,l‖²_F and its gradients against
//! native tch, reduction and scale, determinism, and the k ≥ dim warning.
//!
//! How the reference knows P (the plugin draws it inside the sandbox):
//! - `init = "identity"` makes P the first k' = min(k, dim) standard basis vectors, known
//!   exactly, so the reference builds the same P natively and runs the same f32
//!   operations on 12 GPT-2-small layers for every k.
//! - `init = "orthogonal"` draws P from the host's seeded generator. The test reads the
//!   projector M = P·Pᵀ out of the plugin through its own gradient: with A = I,
//!   ∂‖A·P‖²/∂A = 2·A·P·Pᵀ = 2·M (likewise B = I gives M_out). The penalty depends on P
//!   only through M (‖A·P‖² = tr(A·M·Aᵀ)), so a reference built from M is exact in any
//!   basis of P's column space, and "P has k' orthonormal columns" is exactly "M is a
//!   symmetric idempotent of trace k'". P depends only on (seed, init, k, the layer
//!   dimensions in order), not on the rank, so a rank-2304 probe instance has the same
//!   P as the rank-8 instance under test. Both run in f64 (the plugin converts P to
//!   the factors' dtype), so the comparison checks the math, not f32 rounding.
use tch::{Device, Kind, Tensor};

use super::{factors, grads, layers, params, rel_err, runtime, wasm};
use super::{GPT2_IN, GPT2_LAYERS, GPT2_OUT, GPT2_RANK};
use clora_host::plugin::{LogLevel, RegularizerPlugin};

const KS: [usize; 5] = [1, 8, 128, 512, 1024];

fn load(
    rt: &clora_host::plugin::PluginRuntime,
    toml: &str,
    in_f: usize,
    out_f: usize,
    rank: usize,
    count: usize,
) -> RegularizerPlugin {
    rt.load_regularizer(
        &wasm("clora"),
        &params(toml),
        &layers(count, in_f, out_f, rank),
        Device::Cpu,
    )
    .unwrap_or_else(|e| panic!("loading clora with {toml:?}: {e}"))
}

/// The first `k'` standard basis vectors of R^dim as a (dim × k') f32 matrix.
fn identity_projector(dim: usize, k: usize) -> Tensor {
    Tensor::eye(dim as i64, (Kind::Float, Device::Cpu)).narrow(1, 0, k.min(dim) as i64)
}

/// Σ_l ‖A_l·P_in‖² + ‖B_lᵀ·P_out‖², written as the plugin documents it.
fn native_penalty(a: &[Tensor], b: &[Tensor], p_in: &Tensor, p_out: &Tensor) -> Tensor {
    let terms: Vec<Tensor> = a
        .iter()
        .zip(b)
        .map(|(a, b)| {
            a.matmul(p_in).square().sum(a.kind()) + b.tr().matmul(p_out).square().sum(b.kind())
        })
        .collect();
    Tensor::stack(&terms, 0).sum(terms[0].kind())
}

#[test]
fn identity_init_matches_native_penalty_and_gradients_on_gpt2_shapes() {
    let (rt, _) = runtime();
    for k in KS {
        let mut plugin = load(
            &rt,
            &format!("k = {k}\ninit = \"identity\"\nreduction = \"sum\""),
            GPT2_IN,
            GPT2_OUT,
            GPT2_RANK,
            GPT2_LAYERS,
        );
        let (a, b) = factors(
            &layers(GPT2_LAYERS, GPT2_IN, GPT2_OUT, GPT2_RANK),
            Kind::Float,
        );
        let leaves: Vec<&Tensor> = a.iter().chain(&b).collect();

        let penalty = plugin.compute_penalty(0, &a, &b).expect("penalty");
        let got = grads(&penalty, &leaves);
        let reference = native_penalty(
            &a,
            &b,
            &identity_projector(GPT2_IN, k),
            &identity_projector(GPT2_OUT, k),
        );
        let want = grads(&reference, &leaves);

        let err = rel_err(&penalty, &reference);
        assert!(
            err <= 1e-6,
            "k = {k}: penalty {} vs native {} (rel {err:e})",
            penalty.double_value(&[]),
            reference.double_value(&[])
        );
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let err = rel_err(g, w);
            assert!(
                err <= 1e-6,
                "k = {k}: gradient of leaf {i} off by {err:e} (relative)"
            );
        }
    }
}

#[test]
fn reduction_and_scale_behave_as_documented() {
    let (rt, _) = runtime();
    let shapes = layers(GPT2_LAYERS, GPT2_IN, GPT2_OUT, GPT2_RANK);
    let (a, b) = factors(&shapes, Kind::Float);
    let value = |toml: &str| {
        let mut plugin = load(&rt, toml, GPT2_IN, GPT2_OUT, GPT2_RANK, GPT2_LAYERS);
        plugin
            .compute_penalty(0, &a, &b)
            .expect("penalty")
            .double_value(&[])
    };
    let sum = value("k = 8\nreduction = \"sum\"");
    let cases = [
        ("k = 8", sum / GPT2_LAYERS as f64), // defaults: reduction = mean, scale = 1
        (
            "k = 8\nreduction = \"mean\"\nscale = 2.0",
            2.0 * sum / GPT2_LAYERS as f64,
        ),
        ("k = 8\nreduction = \"sum\"\nscale = 0.5", 0.5 * sum),
        ("k = 8\nreduction = \"sum\"\nscale = 0.0", 0.0),
    ];
    for (toml, want) in cases {
        let got = value(toml);
        assert!(
            (got - want).abs() <= 1e-6 * want.abs(),
            "{toml:?}: {got} != {want}"
        );
    }
}

/// M_in = P_in·P_inᵀ and M_out = P_out·P_outᵀ of a 768 → 2304 layer, read from the
/// plugin's gradient at A = [I; 0], B = I (f64), and the penalty there (= tr M_in + tr M_out).
fn probe_projectors(rt: &clora_host::plugin::PluginRuntime, k: usize) -> (Tensor, Tensor, f64) {
    let rank = GPT2_OUT;
    let mut plugin = load(
        rt,
        &format!("k = {k}\nreduction = \"sum\"\nseed = 7"),
        GPT2_IN,
        GPT2_OUT,
        rank,
        1,
    );
    let eye = Tensor::eye(rank as i64, (Kind::Double, Device::Cpu));
    let a = eye
        .narrow(1, 0, GPT2_IN as i64)
        .copy()
        .set_requires_grad(true);
    let b = eye.copy().set_requires_grad(true);
    let penalty = plugin
        .compute_penalty(0, &[a.shallow_clone()], &[b.shallow_clone()])
        .expect("probe penalty");
    let g = grads(&penalty, &[&a, &b]);
    (
        g[0].narrow(0, 0, GPT2_IN as i64) / 2.0,
        &g[1] / 2.0,
        penalty.double_value(&[]),
    )
}

/// M is a symmetric idempotent with trace `rank`: an orthogonal projector of that rank.
fn assert_projector(m: &Tensor, rank: usize, what: &str) {
    let symmetric = rel_err(&m.tr(), m);
    let idempotent = rel_err(&m.matmul(m), m);
    let trace = m.trace().double_value(&[]);
    assert!(symmetric <= 1e-10, "{what}: not symmetric ({symmetric:e})");
    assert!(
        idempotent <= 1e-5,
        "{what}: M·M ≠ M ({idempotent:e}), columns of P are not orthonormal"
    );
    assert!(
        (trace - rank as f64).abs() <= 1e-4 * rank as f64,
        "{what}: trace {trace}, want {rank}"
    );
}

#[test]
fn orthogonal_projectors_are_orthonormal_and_penalty_matches_native() {
    let (rt, _) = runtime();
    for k in KS {
        let (m_in, m_out, probe_penalty) = probe_projectors(&rt, k);
        let (k_in, k_out) = (k.min(GPT2_IN), k.min(GPT2_OUT));
        assert_projector(&m_in, k_in, &format!("k = {k}: P_in"));
        assert_projector(&m_out, k_out, &format!("k = {k}: P_out"));
        let want = (k_in + k_out) as f64;
        assert!(
            (probe_penalty - want).abs() <= 1e-6 * want,
            "k = {k}: ‖P_in‖² + ‖P_out‖² = {probe_penalty}, want {want}"
        );

        let mut plugin = load(
            &rt,
            &format!("k = {k}\nreduction = \"sum\"\nseed = 7"),
            GPT2_IN,
            GPT2_OUT,
            GPT2_RANK,
            1,
        );
        let (a, b) = factors(&layers(1, GPT2_IN, GPT2_OUT, GPT2_RANK), Kind::Double);
        let penalty = plugin.compute_penalty(0, &a, &b).expect("penalty");
        let got = grads(&penalty, &[&a[0], &b[0]]);
        let reference = (a[0].matmul(&m_in) * &a[0]).sum(Kind::Double)
            + (m_out.matmul(&b[0]) * &b[0]).sum(Kind::Double);
        let err = rel_err(&penalty, &reference);
        assert!(err <= 1e-6, "k = {k}: penalty off by {err:e}");
        let err_a = rel_err(&got[0], &(a[0].matmul(&m_in) * 2.0));
        let err_b = rel_err(&got[1], &(m_out.matmul(&b[0]) * 2.0));
        assert!(
            err_a <= 1e-6 && err_b <= 1e-6,
            "k = {k}: gradients off by {err_a:e} (A), {err_b:e} (B)"
        );
    }
}

#[test]
fn projectors_depend_on_the_seed_and_differ_between_layers() {
    let (rt, _) = runtime();
    let shapes = layers(2, GPT2_IN, GPT2_OUT, GPT2_RANK);
    let (a, _) = factors(&shapes, Kind::Float);
    let zero_b: Vec<Tensor> = shapes
        .iter()
        .map(|_| {
            Tensor::zeros(
                [GPT2_OUT as i64, GPT2_RANK as i64],
                (Kind::Float, Device::Cpu),
            )
        })
        .collect();
    let zero_a = Tensor::zeros(
        [GPT2_RANK as i64, GPT2_IN as i64],
        (Kind::Float, Device::Cpu),
    );
    let value = |seed: u64, on_layer: usize| {
        let mut plugin = load(
            &rt,
            &format!("k = 8\nseed = {seed}"),
            GPT2_IN,
            GPT2_OUT,
            GPT2_RANK,
            2,
        );
        let a: Vec<Tensor> = (0..2)
            .map(|l| {
                if l == on_layer {
                    a[0].shallow_clone()
                } else {
                    zero_a.shallow_clone()
                }
            })
            .collect();
        plugin
            .compute_penalty(0, &a, &zero_b)
            .expect("penalty")
            .double_value(&[])
    };
    assert_eq!(value(3, 0), value(3, 0), "same seed, same penalty");
    assert_ne!(
        value(3, 0),
        value(4, 0),
        "another seed draws other projectors"
    );
    assert_ne!(
        value(3, 0),
        value(3, 1),
        "each layer has its own projectors"
    );
}

#[test]
fn warns_once_per_factor_when_k_reaches_the_layer_dimension() {
    let (rt, logs) = runtime();
    let warnings = |k: usize| {
        logs.lock().unwrap().clear();
        load(
            &rt,
            &format!("k = {k}\ninit = \"identity\""),
            GPT2_IN,
            GPT2_OUT,
            GPT2_RANK,
            GPT2_LAYERS,
        );
        let lines = logs.lock().unwrap();
        lines
            .iter()
            .filter(|(_, level, _)| *level == LogLevel::Warn)
            .map(|(_, _, m)| m.clone())
            .collect::<Vec<_>>()
    };
    assert!(warnings(128).is_empty());
    let at_1024 = warnings(1024);
    assert_eq!(at_1024.len(), 1, "{at_1024:?}");
    assert!(
        at_1024[0].contains("k = 1024 ≥ in dimension on 12 of 12 layers"),
        "{}",
        at_1024[0]
    );
    assert!(at_1024[0].contains("plain L2"), "{}", at_1024[0]);
    let at_2304 = warnings(2304);
    assert_eq!(at_2304.len(), 2, "{at_2304:?}");
    assert!(at_2304[1].contains("out dimension"), "{}", at_2304[1]);
}

#[test]
fn an_operation_error_names_the_layer_and_the_instance_stays_usable() {
    let (rt, _) = runtime();
    let mut plugin = load(&rt, "k = 8", GPT2_IN, GPT2_OUT, GPT2_RANK, 2);
    let (a, b) = factors(&layers(2, GPT2_IN, GPT2_OUT, GPT2_RANK), Kind::Float);
    let wrong = Tensor::zeros([GPT2_RANK as i64, 100], (Kind::Float, Device::Cpu));
    let err = plugin
        .compute_penalty(0, &[a[0].shallow_clone(), wrong], &b)
        .expect_err("a 8×100 A cannot meet a 768-row P_in")
        .to_string();
    assert!(err.contains("layer 1: A·P_in: "), "{err}");
    let again = plugin
        .compute_penalty(1, &a, &b)
        .expect("the next call works");
    assert!(again.double_value(&[]) > 0.0);
}
