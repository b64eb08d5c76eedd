//! Resumable checkpoints: trainable tensors + optimizer state in one safetensors file,
//! and a JSON manifest with the position in training and the file's SHA-256.
//!
//! A checkpoint is written into `checkpoints/.partial-step-N/`, fsynced, then renamed to
//! `checkpoints/step-N/`: a crash or a full disk mid-write leaves at worst a `.partial-*`
//! directory, which is ignored. Loading verifies the checksum and falls back to the
//! previous checkpoint when the newest one is damaged.
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tch::Tensor;
use thiserror::Error;

use crate::fsutil;

const STATE_FILE: &str = "state.safetensors";
const MANIFEST_FILE: &str = "checkpoint.json";
const FORMAT_VERSION: u32 = 1;

/// Where training stood when the checkpoint was taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Optimizer steps completed.
    pub step: u64,
    /// The epoch in progress (0-based).
    pub epoch: u64,
    /// Batches of that epoch already consumed.
    pub batch_in_epoch: u64,
    /// Best validation accuracy so far and the epoch that reached it.
    pub best_accuracy: Option<f64>,
    pub best_epoch: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format_version: u32,
    position: Position,
    state_sha256: String,
}

#[derive(Debug, Error)]
pub enum CheckpointError {
    #[error("cannot write checkpoint in {dir}: {source}")]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write checkpoint tensors in {dir}: {source}")]
    Tensors { dir: PathBuf, source: tch::TchError },
    #[error("no usable checkpoint in {dir}{detail}")]
    NoneUsable { dir: PathBuf, detail: String },
}

/// A loaded checkpoint.
pub struct Loaded {
    pub position: Position,
    pub tensors: Vec<(String, Tensor)>,
    pub dir: PathBuf,
    /// Newer checkpoints that were skipped, with why.
    pub skipped: Vec<String>,
}

/// Writes a checkpoint for `position` under `root` and prunes all but the newest `keep`.
pub fn save(
    root: &Path,
    position: &Position,
    tensors: &[(String, Tensor)],
    keep: usize,
) -> Result<PathBuf, CheckpointError> {
    let name = format!("step-{:09}", position.step);
    let partial = root.join(format!(".partial-{name}"));
    let final_dir = root.join(&name);
    let io_err = |source| CheckpointError::Write {
        dir: final_dir.clone(),
        source,
    };
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(io_err)?;
    }
    fs::create_dir_all(&partial).map_err(io_err)?;
    let state = partial.join(STATE_FILE);
    let named: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    Tensor::write_safetensors(&named, &state).map_err(|source| CheckpointError::Tensors {
        dir: final_dir.clone(),
        source,
    })?;
    fsutil::sync_file(&state).map_err(io_err)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        position: position.clone(),
        state_sha256: fsutil::sha256_file(&state).map_err(io_err)?,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    fsutil::write_atomic(&partial.join(MANIFEST_FILE), &json).map_err(io_err)?;
    if final_dir.exists() {
        fs::remove_dir_all(&final_dir).map_err(io_err)?;
    }
    fsutil::rename_durable(&partial, &final_dir).map_err(io_err)?;
    prune(root, keep).map_err(io_err)?;
    Ok(final_dir)
}

/// Complete checkpoint directories under `root`, newest first.
pub fn list(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("step-"))
        })
        .collect();
    dirs.sort();
    dirs.reverse();
    dirs
}

/// Loads the newest checkpoint whose manifest parses and whose state matches its
/// checksum; damaged newer ones are reported in `skipped`.
pub fn load_latest(root: &Path) -> Result<Loaded, CheckpointError> {
    let mut skipped = Vec::new();
    for dir in list(root) {
        match load_one(&dir) {
            Ok((position, tensors)) => {
                return Ok(Loaded {
                    position,
                    tensors,
                    dir,
                    skipped,
                });
            }
            Err(why) => skipped.push(format!("{}: {why}", dir.display())),
        }
    }
    let detail = if skipped.is_empty() {
        String::new()
    } else {
        format!(" ({})", skipped.join("; "))
    };
    Err(CheckpointError::NoneUsable {
        dir: root.to_path_buf(),
        detail,
    })
}

fn load_one(dir: &Path) -> Result<(Position, Vec<(String, Tensor)>), String> {
    let manifest_bytes =
        fs::read(dir.join(MANIFEST_FILE)).map_err(|e| format!("no manifest ({e})"))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| format!("manifest is not valid JSON ({e})"))?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(format!(
            "format version {} (this build reads {FORMAT_VERSION})",
            manifest.format_version
        ));
    }
    let state = dir.join(STATE_FILE);
    let actual = fsutil::sha256_file(&state).map_err(|e| format!("cannot read state ({e})"))?;
    if actual != manifest.state_sha256 {
        return Err("checksum mismatch: the state file is corrupted".to_string());
    }
    let tensors =
        Tensor::read_safetensors(&state).map_err(|e| format!("unreadable state ({e})"))?;
    Ok((manifest.position, tensors))
}

fn prune(root: &Path, keep: usize) -> std::io::Result<()> {
    for old in list(root).into_iter().skip(keep.max(1)) {
        fs::remove_dir_all(old)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(step: u64) -> Position {
        Position {
            step,
            epoch: 1,
            batch_in_epoch: 3,
            best_accuracy: Some(0.5),
            best_epoch: Some(0),
        }
    }

    #[test]
    fn round_trip_and_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tensor::from_slice(&[1.0f32, 2.0, 3.0]);
        for step in [10, 20, 30] {
            save(
                dir.path(),
                &position(step),
                &[("w".into(), &t * step as f64)],
                2,
            )
            .unwrap();
        }
        assert_eq!(list(dir.path()).len(), 2, "only the newest two are kept");
        let loaded = load_latest(dir.path()).unwrap();
        assert_eq!(loaded.position, position(30));
        assert_eq!(
            Vec::<f32>::try_from(&loaded.tensors[0].1).unwrap(),
            vec![30.0, 60.0, 90.0]
        );
        assert!(loaded.skipped.is_empty());
    }

    #[test]
    fn corrupted_newest_falls_back_to_previous() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tensor::from_slice(&[1.0f32; 64]);
        save(
            dir.path(),
            &position(1),
            &[("w".into(), t.shallow_clone())],
            3,
        )
        .unwrap();
        let newest = save(
            dir.path(),
            &position(2),
            &[("w".into(), t.shallow_clone())],
            3,
        )
        .unwrap();
        let state = newest.join(STATE_FILE);
        let mut bytes = fs::read(&state).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&state, bytes).unwrap();
        let loaded = load_latest(dir.path()).unwrap();
        assert_eq!(loaded.position.step, 1);
        assert_eq!(loaded.skipped.len(), 1);
        assert!(
            loaded.skipped[0].contains("checksum mismatch"),
            "{:?}",
            loaded.skipped
        );
    }

    #[test]
    fn partial_directories_are_ignored_and_empty_dir_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".partial-step-000000005")).unwrap();
        let err = load_latest(dir.path()).err().unwrap().to_string();
        assert!(err.starts_with("no usable checkpoint in"), "{err}");
    }
}
