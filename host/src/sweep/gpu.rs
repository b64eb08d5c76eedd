//! GPUs for the local launcher: free memory from `nvidia-smi`, the memory a run is
//! estimated to need, and which GPU a run is pinned to (`CUDA_VISIBLE_DEVICES`).
//!
//! `nvidia-smi` is the lighter choice over NVML bindings: one short-lived process per
//! scheduling decision, no library to load, and a test can put a fake one on `PATH`.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::plan::RunInfo;

/// One GPU as `nvidia-smi` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gpu {
    pub index: u32,
    pub free_mib: u64,
    pub total_mib: u64,
}

/// The query: one line per GPU, `index, memory.free, memory.total` in MiB.
/// nvidia-smi numbers GPUs in PCI bus order; children get `CUDA_DEVICE_ORDER=PCI_BUS_ID`
/// so that CUDA numbers them the same way.
pub const QUERY_ARGS: [&str; 2] = [
    "--query-gpu=index,memory.free,memory.total",
    "--format=csv,noheader,nounits",
];

/// Asks `nvidia-smi` (found on `PATH`). `Ok(vec![])` when it is not installed; an error
/// when it is but fails (no driver, ...). Honours `CUDA_VISIBLE_DEVICES` when it lists
/// indices.
pub fn query() -> Result<Vec<Gpu>, String> {
    let output = match Command::new("nvidia-smi").args(QUERY_ARGS).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot run nvidia-smi: {e}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "nvidia-smi failed ({}): {}",
            output.status,
            stderr.trim()
        ));
    }
    let gpus = parse(&String::from_utf8_lossy(&output.stdout))?;
    Ok(visible(
        gpus,
        std::env::var("CUDA_VISIBLE_DEVICES").ok().as_deref(),
    ))
}

/// Parses `index, free, total` lines.
pub fn parse(text: &str) -> Result<Vec<Gpu>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let number = |i: usize| -> Result<u64, String> {
                fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(|| {
                    format!(
                        "unexpected nvidia-smi line `{line}` (want: index, free MiB, total MiB)"
                    )
                })
            };
            Ok(Gpu {
                index: number(0)? as u32,
                free_mib: number(1)?,
                total_mib: number(2)?,
            })
        })
        .collect()
}

/// Keeps the GPUs that `CUDA_VISIBLE_DEVICES` lists (when it is a list of indices).
pub fn visible(gpus: Vec<Gpu>, cuda_visible: Option<&str>) -> Vec<Gpu> {
    let Some(list) = cuda_visible.filter(|v| !v.trim().is_empty()) else {
        return gpus;
    };
    let Ok(allowed) = list
        .split(',')
        .map(|s| s.trim().parse::<u32>())
        .collect::<Result<Vec<_>, _>>()
    else {
        return gpus; // UUIDs or MIG names: leave the choice to CUDA
    };
    gpus.into_iter()
        .filter(|g| allowed.contains(&g.index))
        .collect()
}

/// GPT-2 dimensions: layers, width, heads, vocabulary, positions.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dims {
    n_layer: f64,
    n_embd: f64,
    n_head: f64,
    vocab: f64,
    n_positions: f64,
}

const GPT2: Dims = Dims {
    n_layer: 12.0,
    n_embd: 768.0,
    n_head: 12.0,
    vocab: 50257.0,
    n_positions: 1024.0,
};

/// The model's dimensions: its `config.json` when `source` is a directory, the known
/// Hub sizes otherwise (GPT-2 small when unknown).
fn dims(source: &str) -> Dims {
    let from_file = std::fs::read(Path::new(source).join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    if let Some(c) = from_file {
        let get = |k: &str, d: f64| c.get(k).and_then(|v| v.as_f64()).unwrap_or(d);
        return Dims {
            n_layer: get("n_layer", GPT2.n_layer),
            n_embd: get("n_embd", GPT2.n_embd),
            n_head: get("n_head", GPT2.n_head),
            vocab: get("vocab_size", GPT2.vocab),
            n_positions: get("n_positions", GPT2.n_positions),
        };
    }
    let known = |n_layer: f64, n_embd: f64, n_head: f64| Dims {
        n_layer,
        n_embd,
        n_head,
        ..GPT2
    };
    match source.trim_start_matches("openai-community/") {
        "distilgpt2" | "distilbert/distilgpt2" => known(6.0, 768.0, 12.0),
        "gpt2-medium" => known(24.0, 1024.0, 16.0),
        "gpt2-large" => known(36.0, 1280.0, 20.0),
        "gpt2-xl" => known(48.0, 1600.0, 25.0),
        _ => GPT2,
    }
}

/// CUDA context and libtorch's own allocations, in MiB.
const CONTEXT_MIB: f64 = 600.0;
/// Headroom over the estimate (allocator fragmentation, evaluation batches).
const HEADROOM: f64 = 1.25;

/// A rough upper bound of the GPU memory a run needs, in MiB: fp32 weights plus the
/// activations autograd keeps (per layer ≈ s·b·d·(34 + 5·a·s/d) values, Korthikanti et
/// al. 2022, doubled for fp32), with headroom, plus the CUDA context. Override with
/// `--gpu-memory` when it is off for a model.
pub fn estimate_mib(run: &RunInfo) -> u64 {
    let d = dims(&run.model_source);
    let params = d.vocab * d.n_embd
        + d.n_positions * d.n_embd
        + d.n_layer * (12.0 * d.n_embd * d.n_embd + 13.0 * d.n_embd);
    let weights = 4.0 * params;
    let (s, b) = (run.max_length as f64, run.batch_size as f64);
    let activations = 2.0 * d.n_layer * s * b * d.n_embd * (34.0 + 5.0 * d.n_head * s / d.n_embd);
    ((weights + activations) * HEADROOM / (1024.0 * 1024.0) + CONTEXT_MIB).ceil() as u64
}

/// Picks GPUs for runs, counting memory promised to runs that started recently (a new
/// process takes a while to allocate, and `nvidia-smi` does not see it yet).
#[derive(Debug)]
pub struct GpuPicker {
    /// (gpu, MiB, when): memory promised to recently started runs.
    promised: Vec<(u32, u64, Instant)>,
    /// How long a promise is counted.
    hold: Duration,
}

impl GpuPicker {
    pub fn new(hold: Duration) -> GpuPicker {
        GpuPicker {
            promised: Vec::new(),
            hold,
        }
    }

    /// The GPU with the most free memory (after promises) that has `need_mib`, among
    /// `gpus` (or only `wanted` when the run asked for `cuda:N`); `None` when none has
    /// enough now. A need larger than a GPU can ever hold is capped at 90% of it.
    pub fn pick(&mut self, gpus: &[Gpu], need_mib: u64, wanted: Option<u32>) -> Option<u32> {
        let now = Instant::now();
        self.promised
            .retain(|(_, _, when)| now.duration_since(*when) < self.hold);
        let mut promised: BTreeMap<u32, u64> = BTreeMap::new();
        for (gpu, mib, _) in &self.promised {
            *promised.entry(*gpu).or_default() += mib;
        }
        let choice = gpus
            .iter()
            .filter(|g| wanted.is_none_or(|w| w == g.index))
            .map(|g| {
                let free = g
                    .free_mib
                    .saturating_sub(promised.get(&g.index).copied().unwrap_or(0));
                let need = need_mib.min(g.total_mib * 9 / 10);
                (g.index, free, need)
            })
            .filter(|(_, free, need)| free >= need)
            .max_by_key(|(index, free, _)| (*free, std::cmp::Reverse(*index)))?;
        self.promised.push((choice.0, choice.2, now));
        Some(choice.0)
    }
}

/// `cuda:N` → `Some(N)`.
pub fn requested_index(device: &str) -> Option<u32> {
    device.strip_prefix("cuda:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(index: u32, free_mib: u64) -> Gpu {
        Gpu {
            index,
            free_mib,
            total_mib: 80_000,
        }
    }

    #[test]
    fn nvidia_smi_lines_parse_and_visible_devices_filter() {
        let gpus = parse("0, 1000, 80000\n1, 50000, 80000\n\n").unwrap();
        assert_eq!(gpus, vec![gpu(0, 1000), gpu(1, 50000)]);
        assert_eq!(visible(gpus.clone(), Some("1")), vec![gpu(1, 50000)]);
        assert_eq!(visible(gpus.clone(), Some("GPU-abc")), gpus);
        assert_eq!(visible(gpus.clone(), None), gpus);
        let err = parse("0, lots, 80000").unwrap_err();
        assert!(
            err.contains("unexpected nvidia-smi line `0, lots, 80000`"),
            "{err}"
        );
    }

    #[test]
    fn picker_prefers_free_memory_and_counts_promises() {
        let mut picker = GpuPicker::new(Duration::from_secs(60));
        let gpus = [gpu(0, 10_000), gpu(1, 30_000)];
        assert_eq!(picker.pick(&gpus, 12_000, None), Some(1));
        // GPU 1 now has 18 000 MiB after the promise: still enough once, then not.
        assert_eq!(picker.pick(&gpus, 12_000, None), Some(1));
        assert_eq!(picker.pick(&gpus, 12_000, None), None);
        assert_eq!(picker.pick(&gpus, 8_000, None), Some(0));
        assert_eq!(picker.pick(&gpus, 100, Some(0)), Some(0));
        let mut fresh = GpuPicker::new(Duration::ZERO);
        assert_eq!(fresh.pick(&gpus, 12_000, None), Some(1));
        assert_eq!(
            fresh.pick(&gpus, 12_000, None),
            Some(1),
            "expired promises are not counted"
        );
        assert_eq!(
            fresh.pick(&gpus, 500_000, None),
            None,
            "capped at 90% of 80 GB = 72 GB"
        );
        assert_eq!(requested_index("cuda:3"), Some(3));
        assert_eq!(requested_index("cuda"), None);
    }

    #[test]
    fn estimate_grows_with_batch_and_model() {
        let run = |batch: u64, model: &str| RunInfo {
            name: "r".into(),
            mode: "lora".into(),
            k: None,
            overrides: vec![],
            configs: vec![],
            env: Default::default(),
            device: "auto".into(),
            batch_size: batch,
            max_length: 256,
            model_source: model.into(),
        };
        let small = estimate_mib(&run(32, "gpt2"));
        // GPT-2 small, batch 32, 256 tokens: weights ≈ 0.5 GB, activations ≈ 7.6 GiB.
        assert!((8_000..14_000).contains(&small), "{small}");
        assert!(estimate_mib(&run(64, "gpt2")) > small + 5_000);
        assert!(estimate_mib(&run(32, "gpt2-xl")) > 4 * small);
    }
}
