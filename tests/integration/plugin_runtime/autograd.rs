//! Plugins computing with host tensors, checked against the same computation in native
//! tch: a regularizer's penalty and its gradients (autograd through the guest), an
//! op-heavy penalty, and a gradient processor's outputs.
use clora_host::plugin::rng::GeneratorRep;
use clora_host::plugin::{tensor_ops, PluginError};
use tch::{Kind, Tensor};

use super::fixtures::{assert_close, factors, fixture, layers, runtime, table, CPU};

/// The projectors fx-penalty builds at `init`: per layer P_in (in × k) then P_out
/// (out × k), from one generator seeded with `seed`.
fn projectors(seed: u64, k: u64) -> Vec<(Tensor, Tensor)> {
    let mut generator = GeneratorRep::new(seed);
    let mut draw = |rows: u64| {
        let gaussian = generator.normals((rows * k) as usize);
        tensor_ops::orthogonal(gaussian, rows, k, CPU).unwrap()
    };
    layers()
        .iter()
        .map(|l| (draw(l.in_features as u64), draw(l.out_features as u64)))
        .collect()
}

#[test]
fn penalty_and_gradients_through_the_guest_match_native_tch() {
    let dir = tempfile::tempdir().unwrap();
    let params = table("k = 3\nseed = 11\nscale = 0.5");
    let mut plugin = runtime(dir.path())
        .load_regularizer(&fixture("fx-penalty"), &params, &layers(), CPU)
        .unwrap();
    let (a, b) = factors();
    let penalty = plugin.compute_penalty(0, &a, &b).unwrap();
    assert_eq!((penalty.size(), penalty.kind()), (vec![], Kind::Float));
    assert!(penalty.requires_grad(), "the penalty is on the tape");
    penalty.backward();

    let (na, nb) = factors();
    let mut native = Tensor::zeros([], (Kind::Float, CPU));
    let ps = projectors(11, 3);
    for ((a, b), (p_in, p_out)) in na.iter().zip(&nb).zip(&ps) {
        native = native
            + a.matmul(p_in).square().sum(Kind::Float)
            + b.transpose(0, 1).matmul(p_out).square().sum(Kind::Float);
    }
    let native = native * 0.5;
    native.backward();
    assert_close(&penalty.detach(), &native.detach(), 1e-6);
    for i in 0..2 {
        assert_close(&a[i].grad(), &na[i].grad(), 1e-5);
        assert_close(&b[i].grad(), &nb[i].grad(), 1e-5);
        // Independently of autograd: d/dA ½‖A·P‖² = A·P·Pᵀ and d/dB ½‖Bᵀ·Q‖² = Q·Qᵀ·B.
        let (p_in, p_out) = &ps[i];
        assert_close(
            &a[i].grad(),
            &a[i].detach().matmul(p_in).matmul(&p_in.transpose(0, 1)),
            1e-5,
        );
        assert_close(
            &b[i].grad(),
            &p_out.matmul(&p_out.transpose(0, 1)).matmul(&b[i].detach()),
            1e-5,
        );
    }
    let again = plugin.compute_penalty(1, &a, &b).unwrap();
    assert_close(&again.detach(), &native.detach(), 1e-6);
    assert_eq!(
        plugin.live_handles(),
        4,
        "lent factors and results left the table; projectors remain"
    );
}

/// fx-penalty's `ops` mode, written with tch (see its `ops_penalty`).
fn ops_native(a: &[Tensor], b: &[Tensor]) -> Tensor {
    let mut total = Tensor::zeros([], (Kind::Double, CPU));
    for (a, b) in a.iter().zip(b) {
        let (a, b) = (a.to_kind(Kind::Double), b.to_kind(Kind::Double));
        let at = a.transpose(0, 1);
        let sum = |t: Tensor| t.sum(Kind::Double);
        let terms = [
            sum((a.abs() + 1.0).log()),
            a.clamp(-0.5, 0.5).exp().mean(Kind::Double),
            b.narrow(0, 0, 2)
                .reshape([-1])
                .square()
                .sum(Kind::Double)
                .sqrt(),
            (b.matmul(&a).square() + 1.0)
                .sqrt()
                .sum_dim_intlist([0i64].as_slice(), false, Kind::Double)
                .max(),
            Tensor::cat(&[&at, &b], 0)
                .mean_dim([1i64].as_slice(), true, Kind::Double)
                .square()
                .sum(Kind::Double)
                .sqrt(),
            Tensor::stack(&[sum(a.shallow_clone()), sum(b.shallow_clone())], 0)
                .max_dim(0, false)
                .0,
            sum(&a - &a * &a),
            sum(a.svd(true, true).1),
            sum(Tensor::linalg_qr(&at, "reduced").1.abs()),
            sum(a.matmul(&at).linalg_eigh("L").0),
            -sum(&a / (a.abs() + 1.0)),
            sum(a.shallow_clone()) * sum(a.detach()).double_value(&[]),
        ];
        for term in terms {
            total += term;
        }
        total += 5.0;
    }
    total.to_kind(Kind::Float)
}

#[test]
fn an_op_heavy_penalty_through_the_guest_matches_native_tch() {
    let dir = tempfile::tempdir().unwrap();
    let mut plugin = runtime(dir.path())
        .load_regularizer(
            &fixture("fx-penalty"),
            &table("mode = \"ops\""),
            &layers(),
            CPU,
        )
        .unwrap();
    let (a, b) = factors();
    let penalty = plugin.compute_penalty(0, &a, &b).unwrap();
    penalty.backward();
    let (na, nb) = factors();
    let native = ops_native(&na, &nb);
    native.backward();
    assert_close(&penalty.detach(), &native.detach(), 1e-5);
    for i in 0..2 {
        assert_close(&a[i].grad(), &na[i].grad(), 1e-4);
        assert_close(&b[i].grad(), &nb[i].grad(), 1e-4);
    }
}

/// Rank-n reconstruction U_n·diag(S_n)·V_nᵀ.
fn low_rank(g: &Tensor, n: i64) -> Tensor {
    let (u, s, v) = g.svd(true, true);
    (u.narrow(1, 0, n) * s.narrow(0, 0, n)).matmul(&v.narrow(1, 0, n).transpose(0, 1))
}

fn gradients() -> (Vec<Tensor>, Vec<Tensor>) {
    let (a, b) = factors();
    (
        a.iter().map(Tensor::detach).collect(),
        b.iter().map(Tensor::detach).collect(),
    )
}

#[test]
fn processed_gradients_match_native_and_malformed_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let load = |params: &str| {
        runtime.load_grad_processor(&fixture("fx-grads"), &table(params), &layers(), CPU)
    };
    let (ga, gb) = gradients();
    let (na, nb) = load("components = 2")
        .unwrap()
        .process_grads(0, &ga, &gb)
        .unwrap();
    for i in 0..2 {
        assert_close(&na[i], &low_rank(&ga[i], 2), 1e-5);
        assert_close(&nb[i], &low_rank(&gb[i], 2), 1e-5);
    }
    let (sa, _) = load("mode = \"scale\"\nfactor = -0.5")
        .unwrap()
        .process_grads(3, &ga, &gb)
        .unwrap();
    assert_close(&sa[1], &(&ga[1] * -0.5), 1e-7);

    let refusal = |params: &str| {
        load(params)
            .unwrap()
            .process_grads(0, &ga, &gb)
            .unwrap_err()
    };
    let err = refusal("mode = \"transpose\"");
    assert!(matches!(err, PluginError::Tensor { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "plugin `fx-grads`, `process-grads`: grad_a[0] has shape [16, 4], expected [4, 16]"
    );
    assert_eq!(
        refusal("mode = \"nan\"").to_string(),
        "plugin `fx-grads`, `process-grads`: grad_a[0] has non-finite values (NaN or infinity)"
    );
    assert_eq!(
        refusal("mode = \"missing\"").to_string(),
        "plugin `fx-grads`, `process-grads`: returned 1 gradients for a, expected 2 (one per layer)"
    );
    let err = load("components = 5").err().unwrap();
    assert_eq!(err.to_string(), "plugin `fx-grads` failed in `init`: components = 5 exceeds the rank of layer h.0.attn.c_attn");
}
