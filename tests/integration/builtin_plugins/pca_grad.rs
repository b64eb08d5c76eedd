//! `pca-grad`: outputs against the rank-n SVD reconstruction computed natively with
//! torch's reduced SVD, for components 1 and 2 and every `factors` choice; and the
//! GaLore-style `refresh_every` behaviour.
//!
//! The reference calls `torch.svd(some=True)` (tch `f_svd`), which libtorch computes
//! with `linalg_svd`: tch 0.26's `f_linalg_svd` always passes a `driver` string, which
//! CPU tensors refuse.
use tch::{Device, Kind, Tensor};

use super::{layers, params, rel_err, runtime, wasm};
use super::{GPT2_IN, GPT2_OUT, GPT2_RANK};
use clora_host::plugin::{GradProcessorPlugin, PluginRuntime};

const LAYERS: usize = 3;

fn load(rt: &PluginRuntime, toml: &str) -> GradProcessorPlugin {
    rt.load_grad_processor(
        &wasm("pca-grad"),
        &params(toml),
        &layers(LAYERS, GPT2_IN, GPT2_OUT, GPT2_RANK),
        Device::Cpu,
    )
    .unwrap_or_else(|e| panic!("loading pca-grad with {toml:?}: {e}"))
}

/// A random (rows × cols) matrix with singular values 8, 4, 2, 1, ... (random singular
/// vectors). The rank-n reconstruction is only well defined when σ_n > σ_n+1; a
/// Gaussian matrix's nearly equal top singular values would make any two SVD runs
/// disagree by about ε·σ/gap, far above the tolerance.
fn separated_spectrum(rows: usize, cols: usize) -> Tensor {
    let opts = (Kind::Float, Device::Cpu);
    let r = rows.min(cols) as i64;
    let q = |n: usize| Tensor::linalg_qr(&Tensor::randn([n as i64, r], opts), "reduced").0;
    let s = Tensor::arange(r, opts).neg().exp2() * 8.0;
    (q(rows) * s.unsqueeze(0)).matmul(&q(cols).tr())
}

/// Gradients of A (r × in) and B (out × r) for every layer.
fn random_grads() -> (Vec<Tensor>, Vec<Tensor>) {
    (
        (0..LAYERS)
            .map(|_| separated_spectrum(GPT2_RANK, GPT2_IN))
            .collect(),
        (0..LAYERS)
            .map(|_| separated_spectrum(GPT2_OUT, GPT2_RANK))
            .collect(),
    )
}

/// The reduced SVD (u, s, vh) of `g`, g = u·diag(s)·vh.
fn svd(g: &Tensor) -> (Tensor, Tensor, Tensor) {
    let (u, s, v) = g.f_svd(true, true).expect("svd");
    (u, s, v.tr())
}

/// U_n·diag(S_n)·V_nᵀ.
fn svd_reconstruction(g: &Tensor, n: i64) -> Tensor {
    let (u, s, vh) = svd(g);
    (u.narrow(1, 0, n) * s.narrow(0, 0, n).unsqueeze(0)).matmul(&vh.narrow(0, 0, n))
}

/// The top-n left (U_n) and right (V_nᵀ) singular vectors.
fn singular_vectors(g: &Tensor, n: i64) -> (Tensor, Tensor) {
    let (u, _, vh) = svd(g);
    (u.narrow(1, 0, n), vh.narrow(0, 0, n))
}

fn assert_close(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    let err = rel_err(got, want);
    assert!(err <= tol, "{what}: relative error {err:e} > {tol:e}");
}

#[test]
fn output_is_the_svd_reconstruction_for_each_components_and_factors_choice() {
    let (rt, _) = runtime();
    for components in [1i64, 2] {
        for factors in ["A", "B", "both"] {
            let mut plugin = load(
                &rt,
                &format!("components = {components}\nfactors = \"{factors}\""),
            );
            let (ga, gb) = random_grads();
            let (new_a, new_b) = plugin.process_grads(0, &ga, &gb).expect("process_grads");
            let what = |f: &str, i: usize| {
                format!("components = {components}, factors = {factors}: {f}[{i}]")
            };
            for i in 0..LAYERS {
                let want_a = if factors == "B" {
                    ga[i].shallow_clone()
                } else {
                    svd_reconstruction(&ga[i], components)
                };
                let want_b = if factors == "A" {
                    gb[i].shallow_clone()
                } else {
                    svd_reconstruction(&gb[i], components)
                };
                assert_close(&new_a[i], &want_a, 1e-5, &what("A", i));
                assert_close(&new_b[i], &want_b, 1e-5, &what("B", i));
            }
            if factors != "both" {
                let untouched = if factors == "A" {
                    (&new_b, &gb)
                } else {
                    (&new_a, &ga)
                };
                for (got, given) in untouched.0.iter().zip(untouched.1) {
                    assert!(
                        got.equal(given),
                        "the unprocessed factor must pass unchanged"
                    );
                }
            }
        }
    }
}

#[test]
fn components_at_or_above_the_rank_leave_gradients_unchanged() {
    let (rt, logs) = runtime();
    let mut plugin = load(&rt, "components = 8");
    assert!(
        logs.lock()
            .unwrap()
            .iter()
            .any(|(_, _, m)| m.contains("components = 8 ≥ rank 8")),
        "{:?}",
        logs.lock().unwrap()
    );
    let (ga, gb) = random_grads();
    let (new_a, new_b) = plugin.process_grads(0, &ga, &gb).expect("process_grads");
    for i in 0..LAYERS {
        assert_close(&new_a[i], &ga[i], 1e-5, "A");
        assert_close(&new_b[i], &gb[i], 1e-5, "B");
    }
}

/// refresh_every = 3: steps 0 and 3 use the SVD of their own gradient; steps 1 and 2 keep
/// step 0's singular vectors of the smaller side and project: A's gradient (8 × 768) onto
/// its left vectors U_n·U_nᵀ·G, B's (2304 × 8) onto its right vectors G·V_n·V_nᵀ.
#[test]
fn refresh_every_keeps_the_projector_between_refreshes_like_galore() {
    let (rt, _) = runtime();
    let n = 2;
    let mut plugin = load(&rt, &format!("components = {n}\nrefresh_every = 3"));
    let steps: Vec<(Vec<Tensor>, Vec<Tensor>)> = (0..5).map(|_| random_grads()).collect();
    let (u_a, _) = singular_vectors(&steps[0].0[0], n);
    let (_, vh_b) = singular_vectors(&steps[0].1[0], n);
    let (u_a3, _) = singular_vectors(&steps[3].0[0], n);
    let (_, vh_b3) = singular_vectors(&steps[3].1[0], n);
    for (step, (ga, gb)) in steps.iter().enumerate() {
        let (new_a, new_b) = plugin
            .process_grads(step as u64, ga, gb)
            .expect("process_grads");
        let (want_a, want_b) = match step {
            0 | 3 => (svd_reconstruction(&ga[0], n), svd_reconstruction(&gb[0], n)),
            1 | 2 => (
                u_a.matmul(&u_a.tr().matmul(&ga[0])),
                gb[0].matmul(&vh_b.tr()).matmul(&vh_b),
            ),
            _ => (
                u_a3.matmul(&u_a3.tr().matmul(&ga[0])),
                gb[0].matmul(&vh_b3.tr()).matmul(&vh_b3),
            ),
        };
        assert_close(&new_a[0], &want_a, 1e-5, &format!("step {step}: A"));
        assert_close(&new_b[0], &want_b, 1e-5, &format!("step {step}: B"));
        if step == 1 {
            // A stale projector is not the fresh reconstruction.
            assert!(rel_err(&new_a[0], &svd_reconstruction(&ga[0], n)) > 1e-2);
        }
    }
}

#[test]
fn an_operation_error_names_the_layer_and_the_instance_stays_usable() {
    let (rt, _) = runtime();
    let mut plugin = load(&rt, "");
    let (mut ga, gb) = random_grads();
    let good = ga[2].shallow_clone();
    ga[2] = good.unsqueeze(0);
    let err = plugin
        .process_grads(0, &ga, &gb)
        .expect_err("a 3-D gradient")
        .to_string();
    assert!(
        err.contains("layer 2: gradient of A: expected a matrix, got shape [1, 8, 768]"),
        "{err}"
    );
    ga[2] = good;
    plugin
        .process_grads(1, &ga, &gb)
        .expect("the next call works");
}
