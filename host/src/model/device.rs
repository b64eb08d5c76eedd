//! Device selection (`auto`, `cpu`, `cuda`, `cuda:N`) and the compute precision that
//! goes with it.
use tch::{Cuda, Device, Kind};

use super::ModelError;

/// Parses a device spec. `auto` picks CUDA device 0 when libtorch sees a GPU, else CPU.
pub fn parse_device(spec: &str) -> Result<Device, ModelError> {
    let spec = spec.trim().to_ascii_lowercase();
    let device = match spec.as_str() {
        "auto" | "" => return Ok(Device::cuda_if_available()),
        "cpu" => Device::Cpu,
        "cuda" | "gpu" => Device::Cuda(0),
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(index)) => Device::Cuda(index),
            _ => {
                return Err(ModelError::Device(format!(
                    "`{spec}` is not a device; use auto, cpu, cuda or cuda:N"
                )))
            }
        },
    };
    if let Device::Cuda(index) = device {
        let count = if Cuda::is_available() {
            Cuda::device_count() as usize
        } else {
            0
        };
        if index >= count {
            return Err(ModelError::Device(format!(
                "`{spec}` was requested but libtorch sees {count} CUDA device(s)"
            )));
        }
    }
    Ok(device)
}

/// The dtype the matrix multiplications run in: bf16 on CUDA (mixed precision, like
/// `torch.autocast(dtype=torch.bfloat16)`: weights and activations are cast for the
/// matmuls, layer norms, softmax, residual stream and trainable parameters stay fp32), fp32
/// on CPU.
pub fn compute_kind(device: Device) -> Kind {
    match device {
        Device::Cuda(_) => Kind::BFloat16,
        _ => Kind::Float,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(parse_device("cpu").unwrap(), Device::Cpu);
        assert_eq!(parse_device("CPU").unwrap(), Device::Cpu);
        let auto = parse_device("auto").unwrap();
        assert_eq!(auto, Device::cuda_if_available());
        let err = parse_device("tpu").unwrap_err().to_string();
        assert!(err.contains("cuda:N"), "{err}");
        if !Cuda::is_available() {
            let err = parse_device("cuda:1").unwrap_err().to_string();
            assert!(err.contains("0 CUDA"), "{err}");
        }
    }
}
