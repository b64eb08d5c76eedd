//! Integration tests: sweeps (`clora-host sweep`). Each test trains a tiny random GPT-2
//! on small synthetic data for a few steps per run, through the real binary.
//!
//! - [`local`]: a 4-run sweep with `--jobs 2` (report, CSV, plots, logs, status),
//!   `--dry-run`, validation errors, `sweep report`;
//! - [`failures`]: a failing run is retried and reported; the others complete;
//! - [`resume`]: an interrupted sweep continues with `--resume`, running only what is
//!   missing;
//! - [`gpu`]: GPU-memory gating and pinning with a fake `nvidia-smi` on PATH;
//! - [`slurm`]: the same sweep through a local Slurm cluster (only with
//!   `CLORA_SLURM_TEST=1`; `host/scripts/slurm-test.sh` sets one up).
mod failures;
mod fixture;
mod gpu;
mod local;
mod resume;
mod slurm;
