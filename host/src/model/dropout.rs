//! Dropout with a fast mask on the CPU.
//!
//! libtorch's CPU dropout draws every element's Bernoulli sample from its Mersenne
//! Twister one at a time, as a double (`bernoulli_`, a serial kernel): on a small model
//! that is a fifth of a training step. Here the mask comes from wyrand (Wang Yi's
//! 64-bit generator: one add and one 64×64→128 multiply per draw), two elements per draw
//! — element i is kept when its 32-bit half is ≥ p·2³² — and is written straight into
//! the mask tensor, scaled by 1/(1-p) like `torch.nn.functional.dropout`. A
//! [`DropoutRng`] takes one draw of libtorch's CPU generator per forward pass and gives
//! every dropout call of that pass its own stream, so `tch::manual_seed` still fixes
//! every mask. Other devices use libtorch's dropout.
use std::cell::Cell;

use tch::{Device, Kind, Tensor};

const WY_ADD: u64 = 0xa076_1d64_78bd_642f;
const WY_XOR: u64 = 0xe703_7ed1_a0b4_28db;
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The dropout seeds of one training forward pass.
pub struct DropoutRng {
    base: u64,
    calls: Cell<u64>,
}

impl DropoutRng {
    /// Seeds from one draw of libtorch's CPU generator.
    pub fn from_libtorch() -> DropoutRng {
        let base = Tensor::randint(i64::MAX, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0]);
        DropoutRng::new(base as u64)
    }

    pub fn new(base: u64) -> DropoutRng {
        DropoutRng {
            base,
            calls: Cell::new(0),
        }
    }

    /// The seed of the next dropout call (SplitMix64's mixer of base and call number).
    fn next_seed(&self) -> u64 {
        let call = self.calls.get();
        self.calls.set(call + 1);
        mix64(self.base ^ mix64(call.wrapping_add(GOLDEN)))
    }
}

/// `dropout(x, p)` with the next seed of `rng` in training; `x` without `rng`.
pub fn dropout(x: &Tensor, p: f64, rng: Option<&DropoutRng>) -> Tensor {
    let Some(rng) = rng else {
        return x.shallow_clone();
    };
    if p <= 0.0 {
        return x.shallow_clone();
    }
    if x.device() != Device::Cpu || p >= 1.0 {
        return x.dropout(p, true);
    }
    let seed = rng.next_seed();
    let mask = Tensor::empty(x.size(), (Kind::Float, Device::Cpu));
    let n = mask.numel();
    // SAFETY: `mask` is a fresh contiguous float tensor of `n` elements that nothing
    // else references until this function returns it.
    let values = unsafe { std::slice::from_raw_parts_mut(mask.data_ptr() as *mut f32, n) };
    fill_mask(values, p, seed);
    x * mask.to_kind(x.kind())
}

/// Fills `values` with 0 (probability `p`) or 1/(1-p), from the wyrand stream of `seed`.
pub fn fill_mask(values: &mut [f32], p: f64, seed: u64) {
    let threshold = (p * 4_294_967_296.0).round().min(u32::MAX as f64) as u32;
    let keep = (1.0 / (1.0 - p)) as f32;
    let pick = |half: u32| if half >= threshold { keep } else { 0.0 };
    let mut state = seed;
    let mut pairs = values.chunks_exact_mut(2);
    for pair in &mut pairs {
        let r = wyrand(&mut state);
        pair[0] = pick(r as u32);
        pair[1] = pick((r >> 32) as u32);
    }
    if let [last] = pairs.into_remainder() {
        *last = pick(wyrand(&mut state) as u32);
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn wyrand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(WY_ADD);
    let t = u128::from(*state) * u128::from(*state ^ WY_XOR);
    ((t >> 64) as u64) ^ (t as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_at_rate_p_and_keeps_the_mean() {
        let mut values = vec![0f32; 200_001];
        fill_mask(&mut values, 0.1, 7);
        let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64 / values.len() as f64;
        assert!((dropped - 0.1).abs() < 0.003, "dropped {dropped}");
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
        assert!((mean - 1.0).abs() < 0.005, "mean {mean}");
        assert!(values
            .iter()
            .all(|&v| v == 0.0 || (v - 1.0 / 0.9).abs() < 1e-6));
    }

    #[test]
    fn masks_follow_libtorch_seed_and_autograd() {
        let x = Tensor::ones([4, 1000], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let values = |t: &Tensor| Vec::<f32>::try_from(&t.reshape([-1])).unwrap();
        tch::manual_seed(3);
        let rng = DropoutRng::from_libtorch();
        let a = dropout(&x, 0.25, Some(&rng));
        let a2 = dropout(&x, 0.25, Some(&rng));
        assert_ne!(
            values(&a),
            values(&a2),
            "each call of a pass gets its own mask"
        );
        tch::manual_seed(3);
        let again = DropoutRng::from_libtorch();
        assert_eq!(values(&a), values(&dropout(&x, 0.25, Some(&again))));
        let other = DropoutRng::from_libtorch();
        assert_ne!(values(&a), values(&dropout(&x, 0.25, Some(&other))));
        a.sum(Kind::Float).backward();
        // d(sum(x·m))/dx = m.
        assert_eq!(values(&x.grad()), values(&a));
        // Eval mode (no rng) and p = 0 are the identity.
        assert_eq!(values(&dropout(&x, 0.25, None)), values(&x));
        assert_eq!(values(&dropout(&x, 0.0, Some(&rng))), values(&x));
    }
}
