//! Seeded parameter initialisation that does not touch libtorch's global generator.
//!
//! `tch::manual_seed` is process-wide and would disturb training (dropout, shuffling), so
//! LoRA factors and the score head are drawn from a private SplitMix64 stream derived from
//! the run's seed and the parameter's name: the same seed gives the same values on every
//! device and regardless of the order layers are built in.
use tch::{Device, Kind, Tensor};

/// A small deterministic generator (SplitMix64).
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A stream for one named parameter.
    pub fn for_parameter(seed: u64, name: &str) -> Self {
        // FNV-1a of the name, mixed with the seed.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        SeededRng {
            state: seed ^ hash.rotate_left(17),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `n` values uniform in [-bound, bound).
    pub fn uniform(&mut self, n: usize, bound: f64) -> Vec<f32> {
        (0..n)
            .map(|_| ((2.0 * self.next_unit() - 1.0) * bound) as f32)
            .collect()
    }

    /// `n` values from N(0, std²) (Box–Muller).
    pub fn normal(&mut self, n: usize, std: f64) -> Vec<f32> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let u1 = 1.0 - self.next_unit(); // (0, 1]
            let u2 = self.next_unit();
            let radius = (-2.0 * u1.ln()).sqrt() * std;
            let angle = std::f64::consts::TAU * u2;
            out.push((radius * angle.cos()) as f32);
            if out.len() < n {
                out.push((radius * angle.sin()) as f32);
            }
        }
        out
    }
}

/// PEFT's LoRA A init, `kaiming_uniform_(a=√5)`: U(-1/√fan_in, 1/√fan_in) for a
/// (rows × fan_in) matrix.
pub fn kaiming_uniform_sqrt5(
    seed: u64,
    name: &str,
    rows: i64,
    fan_in: i64,
    device: Device,
) -> Tensor {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let values = SeededRng::for_parameter(seed, name).uniform((rows * fan_in) as usize, bound);
    Tensor::from_slice(&values)
        .reshape([rows, fan_in])
        .to_device(device)
}

/// transformers' `_init_weights` for a Linear: N(0, std²).
pub fn normal(seed: u64, name: &str, dims: &[i64], std: f64, device: Device) -> Tensor {
    let n: i64 = dims.iter().product();
    let values = SeededRng::for_parameter(seed, name).normal(n as usize, std);
    Tensor::from_slice(&values)
        .reshape(dims)
        .to_kind(Kind::Float)
        .to_device(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a = SeededRng::for_parameter(1, "x").uniform(4, 1.0);
        assert_eq!(a, SeededRng::for_parameter(1, "x").uniform(4, 1.0));
        assert_ne!(a, SeededRng::for_parameter(2, "x").uniform(4, 1.0));
        assert_ne!(a, SeededRng::for_parameter(1, "y").uniform(4, 1.0));
    }

    #[test]
    fn distributions_have_the_right_moments() {
        let u = SeededRng::for_parameter(7, "u").uniform(100_000, 0.5);
        assert!(u.iter().all(|v| (-0.5..0.5).contains(v)));
        let var: f64 = u.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / u.len() as f64;
        assert!((var - 0.25 / 3.0).abs() < 2e-3, "{var}");
        let n = SeededRng::for_parameter(7, "n").normal(100_000, 0.02);
        let mean: f64 = n.iter().map(|&v| f64::from(v)).sum::<f64>() / n.len() as f64;
        let std = (n
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n.len() as f64)
            .sqrt();
        assert!(
            mean.abs() < 5e-4 && (std - 0.02).abs() < 5e-4,
            "{mean} {std}"
        );
    }
}
