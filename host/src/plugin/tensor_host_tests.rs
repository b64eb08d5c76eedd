//! Tests of the `tensors` and `host` host implementations, driven through the generated
//! Host traits directly (no wasm), each operation compared with the same computation done
//! with `tch` itself.
use std::sync::{Arc, Mutex};

use tch::{Device, Kind, Tensor};
use wasmtime::component::Resource;

use super::bindings::host::{Host as HostLog, LogLevel as WitLogLevel};
use super::bindings::tensors::{Dtype, Host as _, HostGenerator, HostTensor};
use super::options::{LogLevel, RuntimeOptions};
use super::rng::GeneratorRep;
use super::sandbox::PluginState;
use super::tensor_host::TensorRep;
use super::tensor_ops;

type Handle = Resource<TensorRep>;

fn options() -> RuntimeOptions {
    RuntimeOptions {
        cache_dir: None,
        ..RuntimeOptions::default()
    }
}

fn state() -> PluginState {
    PluginState::new("unit", Device::Cpu, &options())
}

fn matrix(rows: i64, cols: i64, salt: f64) -> Tensor {
    let values: Vec<f64> = (0..rows * cols)
        .map(|i| ((i as f64 + salt) * 0.37).sin())
        .collect();
    Tensor::from_slice(&values)
        .to_kind(Kind::Float)
        .reshape([rows, cols])
}

fn borrow(h: &Handle) -> Handle {
    Resource::new_borrow(h.rep())
}

/// Takes the tensor an operation produced, failing the test on a trap or an `err`.
fn got(s: &mut PluginState, made: wasmtime::Result<Result<Handle, String>>) -> Tensor {
    let handle = made.expect("no trap").expect("no err");
    s.take(handle).unwrap()
}

fn refused(made: wasmtime::Result<Result<Handle, String>>) -> String {
    made.expect("no trap")
        .expect_err("the operation should be refused")
}

fn assert_close(actual: &Tensor, expected: &Tensor) {
    assert_eq!(actual.size(), expected.size(), "shapes");
    let diff = (actual.to_kind(Kind::Double) - expected.to_kind(Kind::Double))
        .abs()
        .max()
        .double_value(&[]);
    assert!(
        diff < 1e-5,
        "max abs difference {diff}\nactual {actual}\nexpected {expected}"
    );
}

#[test]
fn queries_report_shape_dtype_device_numel() {
    let mut s = state();
    let x = s.lend(matrix(2, 3, 0.0)).unwrap();
    assert_eq!(s.shape(borrow(&x)).unwrap(), [2, 3]);
    assert_eq!(s.dtype(borrow(&x)).unwrap(), Dtype::Float32);
    assert_eq!(s.device(borrow(&x)).unwrap(), "cpu");
    assert_eq!(s.numel(borrow(&x)).unwrap(), 6);
}

#[test]
fn elementwise_operations_match_tch() {
    let mut s = state();
    let (a, b, col) = (
        matrix(3, 4, 0.0),
        matrix(3, 4, 5.0).abs() + 0.5,
        matrix(3, 1, 9.0),
    );
    let (ha, hb, hc) = (
        s.lend(a.shallow_clone()).unwrap(),
        s.lend(b.shallow_clone()).unwrap(),
        s.lend(col.shallow_clone()).unwrap(),
    );
    let r = s.add(borrow(&ha), borrow(&hc));
    assert_close(&got(&mut s, r), &(&a + &col));
    let r = s.sub(borrow(&ha), borrow(&hb));
    assert_close(&got(&mut s, r), &(&a - &b));
    let r = s.mul(borrow(&ha), borrow(&hb));
    assert_close(&got(&mut s, r), &(&a * &b));
    let r = s.div(borrow(&ha), borrow(&hb));
    assert_close(&got(&mut s, r), &(&a / &b));
    let r = s.add_scalar(borrow(&ha), 2.5);
    assert_close(&got(&mut s, r), &(&a + 2.5));
    let r = s.mul_scalar(borrow(&ha), -3.0);
    assert_close(&got(&mut s, r), &(&a * -3.0));
    let r = s.pow_scalar(borrow(&hb), 1.5);
    assert_close(&got(&mut s, r), &b.pow_tensor_scalar(1.5));
    let r = s.neg(borrow(&ha));
    assert_close(&got(&mut s, r), &-&a);
    let r = s.sqrt(borrow(&hb));
    assert_close(&got(&mut s, r), &b.sqrt());
    let r = s.abs(borrow(&ha));
    assert_close(&got(&mut s, r), &a.abs());
    let r = s.exp(borrow(&ha));
    assert_close(&got(&mut s, r), &a.exp());
    let r = HostTensor::log(&mut s, borrow(&hb));
    assert_close(&got(&mut s, r), &b.log());
    let r = s.clamp(borrow(&ha), Some(-0.2), Some(0.3));
    assert_close(&got(&mut s, r), &a.clamp(-0.2, 0.3));
    let r = s.clamp(borrow(&ha), Some(-0.2), None);
    assert_close(&got(&mut s, r), &a.clamp_min(-0.2));
    let r = s.clamp(borrow(&ha), None, Some(0.3));
    assert_close(&got(&mut s, r), &a.clamp_max(0.3));
    assert_eq!(
        refused(s.clamp(borrow(&ha), None, None)),
        "clamp needs at least one of min and max"
    );
    let other = s.lend(matrix(2, 4, 0.0)).unwrap();
    let err = refused(s.add(borrow(&ha), borrow(&other)));
    assert_eq!(err, "shapes [3, 4] and [2, 4] cannot be broadcast together");
}

#[test]
fn shape_and_linear_algebra_match_tch() {
    let mut s = state();
    let (a, b) = (matrix(3, 4, 0.0), matrix(4, 2, 1.0));
    let (ha, hb) = (
        s.lend(a.shallow_clone()).unwrap(),
        s.lend(b.shallow_clone()).unwrap(),
    );
    let r = s.matmul(borrow(&ha), borrow(&hb));
    assert_close(&got(&mut s, r), &a.matmul(&b));
    let err = refused(s.matmul(borrow(&hb), borrow(&hb)));
    assert_eq!(err, "matmul shapes [4, 2] and [4, 2] do not match (2 vs 4)");
    let r = s.transpose(borrow(&ha), 0, -1);
    assert_close(&got(&mut s, r), &a.transpose(0, 1));
    let r = s.reshape(borrow(&ha), vec![2, -1]);
    assert_close(&got(&mut s, r), &a.reshape([2, 6]));
    let err = refused(s.reshape(borrow(&ha), vec![5, -1]));
    assert!(
        err.contains("shape '[5, -1]' is invalid for input of size 12"),
        "{err}"
    );
    assert!(
        !err.contains('\n') && !err.contains("Exception raised from"),
        "only the first line: {err}"
    );
    let r = s.narrow(borrow(&ha), 1, 1, 2);
    assert_close(&got(&mut s, r), &a.narrow(1, 1, 2));

    let svd = s.svd(borrow(&ha)).unwrap().unwrap();
    let (u, sv, vh) = (
        s.take(svd.u).unwrap(),
        s.take(svd.s).unwrap(),
        s.take(svd.vh).unwrap(),
    );
    let (_, expected_s, _) = a.svd(true, true);
    assert_close(&sv, &expected_s);
    assert_eq!((u.size(), vh.size()), (vec![3, 3], vec![3, 4]));
    assert_close(&(u * sv.unsqueeze(0)).matmul(&vh), &a);

    let qr = s.qr(borrow(&hb)).unwrap().unwrap();
    let (q, r) = (s.take(qr.q).unwrap(), s.take(qr.r).unwrap());
    let (eq, er) = Tensor::linalg_qr(&b, "reduced");
    assert_close(&q, &eq);
    assert_close(&r, &er);

    let sym = a.matmul(&a.transpose(0, 1));
    let hs = s.lend(sym.shallow_clone()).unwrap();
    let eigh = s.eigh(borrow(&hs)).unwrap().unwrap();
    let (values, vectors) = (
        s.take(eigh.eigenvalues).unwrap(),
        s.take(eigh.eigenvectors).unwrap(),
    );
    let (ev, evec) = sym.linalg_eigh("L");
    assert_close(&values, &ev);
    assert_close(&vectors.abs(), &evec.abs());
}

#[test]
fn reductions_match_tch() {
    let mut s = state();
    let a = matrix(3, 4, 2.0);
    let ha = s.lend(a.shallow_clone()).unwrap();
    let r = s.sum(borrow(&ha));
    assert_close(&got(&mut s, r), &a.sum(Kind::Float));
    let r = s.mean(borrow(&ha));
    assert_close(&got(&mut s, r), &a.mean(Kind::Float));
    let r = s.max(borrow(&ha));
    assert_close(&got(&mut s, r), &a.max());
    let r = s.sum_dims(borrow(&ha), vec![1], true);
    assert_close(
        &got(&mut s, r),
        &a.sum_dim_intlist([1i64].as_slice(), true, Kind::Float),
    );
    let r = s.mean_dims(borrow(&ha), vec![0], false);
    assert_close(
        &got(&mut s, r),
        &a.mean_dim([0i64].as_slice(), false, Kind::Float),
    );
    let r = s.max_dim(borrow(&ha), 1, false);
    assert_close(&got(&mut s, r), &a.max_dim(1, false).0);
    let r = s.norm_fro(borrow(&ha));
    assert_close(&got(&mut s, r), &a.square().sum(Kind::Float).sqrt());
    let r = s.norm(borrow(&ha), 1.0, vec![], false);
    assert_close(&got(&mut s, r), &a.abs().sum(Kind::Float));
    let r = s.norm(borrow(&ha), 3.0, vec![0], true);
    assert_close(
        &got(&mut s, r),
        &a.abs()
            .pow_tensor_scalar(3.0)
            .sum_dim_intlist([0i64].as_slice(), true, Kind::Float)
            .pow_tensor_scalar(1.0 / 3.0),
    );
}

#[test]
fn autograd_flows_through_host_operations() {
    let mut s = state();
    let a = matrix(2, 3, 0.0).set_requires_grad(true);
    let ha = s.lend(a.shallow_clone()).unwrap();
    let r = s.mul(borrow(&ha), borrow(&ha));
    let sq = got(&mut s, r);
    let hsq = s.lend(sq).unwrap();
    let r = s.sum(borrow(&hsq));
    got(&mut s, r).backward();
    assert_close(&a.grad(), &(&a.detach() * 2.0));

    let r = s.detach(borrow(&ha));
    assert!(!got(&mut s, r).requires_grad());
    let r = s.to_dtype(borrow(&ha), Dtype::Float64);
    let d = got(&mut s, r);
    assert_eq!(d.kind(), Kind::Double);
    assert!(d.requires_grad(), "float conversions stay on the tape");
}

#[test]
fn data_out_item_and_to_list_are_checked_and_capped() {
    let mut s = PluginState::new(
        "unit",
        Device::Cpu,
        &RuntimeOptions {
            max_to_list_elements: 5,
            ..options()
        },
    );
    let one = s.lend(Tensor::from_slice(&[2.5f32])).unwrap();
    assert_eq!(s.item(borrow(&one)).unwrap().unwrap(), 2.5);
    let a = matrix(2, 2, 0.0);
    let ha = s.lend(a.shallow_clone()).unwrap();
    let expected: Vec<f64> = Vec::<f32>::try_from(a.reshape([-1]))
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect();
    assert_eq!(s.to_list(borrow(&ha)).unwrap().unwrap(), expected);
    let err = s.item(borrow(&ha)).unwrap().unwrap_err();
    assert_eq!(
        err,
        "item needs a one-element tensor, this one has 4 elements (shape [2, 2])"
    );
    let big = s.lend(matrix(2, 3, 0.0)).unwrap();
    assert_eq!(
        s.to_list(borrow(&big)).unwrap().unwrap_err(),
        "to-list of 6 values refused: the cap is 5 values per call"
    );
}

#[test]
fn constructors_match_tch() {
    let mut s = state();
    let r = s.zeros(vec![2, 3]);
    assert_close(
        &got(&mut s, r),
        &Tensor::zeros([2, 3], (Kind::Float, Device::Cpu)),
    );
    let r = s.ones(vec![4]);
    assert_close(
        &got(&mut s, r),
        &Tensor::ones([4], (Kind::Float, Device::Cpu)),
    );
    let r = s.full(vec![], 7.0);
    assert_close(&got(&mut s, r), &Tensor::from(7.0f32));
    let r = s.eye(3);
    assert_close(&got(&mut s, r), &Tensor::eye(3, (Kind::Float, Device::Cpu)));
    let r = s.from_list(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![3, 2]);
    let t = got(&mut s, r);
    assert_eq!(t.kind(), Kind::Float);
    assert_close(
        &t,
        &Tensor::from_slice(&[1f32, 2., 3., 4., 5., 6.]).reshape([3, 2]),
    );
    assert_eq!(
        refused(s.from_list(vec![1.0], vec![2])),
        "from-list got 1 values for shape [2] (2 elements)"
    );

    let (a, b) = (matrix(2, 3, 0.0), matrix(2, 3, 4.0));
    let (ha, hb) = (
        s.lend(a.shallow_clone()).unwrap(),
        s.lend(b.shallow_clone()).unwrap(),
    );
    let r = s.cat(vec![borrow(&ha), borrow(&hb)], 1);
    assert_close(&got(&mut s, r), &Tensor::cat(&[&a, &b], 1));
    let r = s.stack(vec![borrow(&ha), borrow(&hb)], 0);
    assert_close(&got(&mut s, r), &Tensor::stack(&[&a, &b], 0));
    assert_eq!(
        refused(s.stack(vec![], 0)),
        "stack needs at least one tensor"
    );
}

#[test]
fn generators_are_seeded_local_and_orthogonal() {
    let mut s = state();
    let g = HostGenerator::new(&mut s, 7).unwrap();
    let r = s.randn(Resource::new_borrow(g.rep()), vec![2, 3]);
    let first = got(&mut s, r);
    let mut reference = GeneratorRep::new(7);
    let expected = tensor_ops::from_samples(reference.normals(6), &[2, 3], Device::Cpu).unwrap();
    assert_close(&first, &expected);
    let r = s.rand(Resource::new_borrow(g.rep()), vec![5]);
    let uniform = got(&mut s, r);
    assert_close(
        &uniform,
        &tensor_ops::from_samples(reference.uniforms(5), &[5], Device::Cpu).unwrap(),
    );
    assert!(uniform.min().double_value(&[]) >= 0.0 && uniform.max().double_value(&[]) < 1.0);

    for (rows, cols) in [(6, 3), (3, 6)] {
        let r = s.orthogonal(Resource::new_borrow(g.rep()), rows, cols);
        let q = got(&mut s, r);
        assert_eq!(q.size(), [rows as i64, cols as i64]);
        let gram = if rows >= cols {
            q.transpose(0, 1).matmul(&q)
        } else {
            q.matmul(&q.transpose(0, 1))
        };
        assert_close(
            &gram,
            &Tensor::eye(rows.min(cols) as i64, (Kind::Float, Device::Cpu)),
        );
    }
    assert_eq!(s.live_handles(), 1);
    s.drop_generator(g).unwrap();
    assert_eq!(s.live_handles(), 0);
}

#[test]
fn element_cap_refuses_before_allocating() {
    let mut s = PluginState::new(
        "unit",
        Device::Cpu,
        &RuntimeOptions {
            max_tensor_elements: 100,
            ..options()
        },
    );
    let cap = "the cap is 100 elements per tensor";
    assert_eq!(
        refused(s.zeros(vec![1 << 40, 1 << 40])),
        format!("tensor of 18446744073709551615 elements refused: {cap}")
    );
    assert_eq!(
        refused(s.eye(11)),
        format!("tensor of 121 elements refused: {cap}")
    );
    let (col, row) = (
        s.lend(matrix(11, 1, 0.0)).unwrap(),
        s.lend(matrix(1, 11, 0.0)).unwrap(),
    );
    assert_eq!(
        refused(s.matmul(borrow(&col), borrow(&row))),
        format!("tensor of 121 elements refused: {cap}")
    );
    assert_eq!(
        refused(s.mul(borrow(&col), borrow(&row))),
        format!("tensor of 121 elements refused: {cap}")
    );
    let g = HostGenerator::new(&mut s, 1).unwrap();
    assert_eq!(
        refused(s.randn(Resource::new_borrow(g.rep()), vec![101])),
        format!("tensor of 101 elements refused: {cap}")
    );
    // A host-lent tensor above the cap is usable, but results above it are not kept.
    let big = s.lend(matrix(20, 20, 0.0)).unwrap();
    assert_eq!(
        refused(s.abs(borrow(&big))),
        format!("tensor of 400 elements refused: {cap}")
    );
    let r = s.sum(borrow(&big));
    assert_close(&got(&mut s, r), &matrix(20, 20, 0.0).sum(Kind::Float));
}

#[test]
fn handle_cap_and_stale_handles() {
    let mut s = PluginState::new(
        "unit",
        Device::Cpu,
        &RuntimeOptions {
            max_live_tensors: 3,
            ..options()
        },
    );
    let kept: Vec<Handle> = (0..3).map(|_| s.ones(vec![1]).unwrap().unwrap()).collect();
    let err = refused(s.ones(vec![1]));
    assert_eq!(err, "too many live handles: the plugin holds 3 and the cap is 3 per plugin (drop tensors you no longer need)");
    let stale = kept[0].rep();
    for h in kept {
        tensor_host_drop(&mut s, h);
    }
    assert_eq!(s.live_handles(), 0);
    // A stale handle is an outer error: the guest traps, the host carries on.
    let trap = s.sum(Resource::new_borrow(stale)).unwrap_err();
    assert_eq!(
        trap.to_string(),
        format!("tensor handle {stale} is not live (resource not present)")
    );
    assert!(s.ones(vec![1]).unwrap().is_ok());
}

fn tensor_host_drop(s: &mut PluginState, h: Handle) {
    HostTensor::drop(s, h).unwrap();
}

#[test]
fn log_lines_reach_the_sink_with_the_plugin_name_and_are_cut() {
    let lines: Arc<Mutex<Vec<(String, LogLevel, String)>>> = Arc::default();
    let sink = lines.clone();
    let options = RuntimeOptions {
        log_sink: Arc::new(move |p, l, m| sink.lock().unwrap().push((p.into(), l, m.into()))),
        ..options()
    };
    let mut s = PluginState::new("demo", Device::Cpu, &options);
    HostLog::log(&mut s, WitLogLevel::Warn, "careful".into()).unwrap();
    HostLog::log(&mut s, WitLogLevel::Info, "é".repeat(10_000)).unwrap();
    let lines = lines.lock().unwrap();
    assert_eq!(lines[0], ("demo".into(), LogLevel::Warn, "careful".into()));
    assert!(
        lines[1].2.ends_with("… [11808 bytes cut]"),
        "{}",
        &lines[1].2[8180..]
    );
    assert!(lines[1].2.len() < super::options::MAX_LOG_MESSAGE_BYTES + 40);
}
