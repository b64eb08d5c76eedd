//! Faults during checkpoint writes. SIGKILL at random moments while checkpoints are
//! being written (the kill lands while a `.partial-*` directory exists): resume loses at
//! most the steps since the newest complete checkpoint and never loads a torn one. A
//! full disk during a checkpoint write (a filled tmpfs, or a file-size limit where
//! mounting is not permitted): a clear error naming the checkpoint and the cause, the
//! previous checkpoint intact, the run resumable once there is space.
//! (SIGKILL in the middle of training steps is `train::sigkill_then_resume_matches_…`.)
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clora_host::train::checkpoint;

use super::lab::{
    assert_same_results, checkpoint_entries, edit_run_config, fixture, run, run_ok, summary, Lab,
    Outcome,
};

/// Checkpoint after every step, no end-of-epoch evaluation: 30 steps, 30 checkpoint
/// writes to land a kill in.
const EVERY_STEP: [&str; 8] = [
    "--set",
    "train.max_steps=30",
    "--set",
    "train.checkpoint_every=1",
    "--set",
    "train.eval_each_epoch=false",
    "--set",
    "train.keep_checkpoints=2",
];

/// The step of a checkpoint directory name (`step-N` or `.partial-step-N`).
fn step_of(name: &str) -> Option<u64> {
    name.trim_start_matches(".partial-")
        .strip_prefix("step-")?
        .parse()
        .ok()
}

/// Starts a run and SIGKILLs it as soon as a checkpoint at or after `from_step` is
/// being written (a `.partial-*` directory exists), or, if the writes are too quick to
/// catch, once that checkpoint is complete. Returns whether the kill landed mid-write
/// and the newest complete checkpoint step at that moment.
fn kill_during_checkpoint_write(lab: &Lab, run_dir: &Path, from_step: u64) -> (bool, u64) {
    let mut child = lab
        .train(run_dir, &EVERY_STEP)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoints = run_dir.join("checkpoints");
    let started = Instant::now();
    let mid_write = loop {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "no checkpoint write seen"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before the kill"
        );
        let names: Vec<String> = std::fs::read_dir(&checkpoints)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let at_or_after = |name: &String| step_of(name).is_some_and(|s| s >= from_step);
        if names
            .iter()
            .any(|n| n.starts_with(".partial-") && at_or_after(n))
        {
            break true;
        }
        if names
            .iter()
            .any(|n| n.starts_with("step-") && step_of(n) >= Some(from_step + 2))
        {
            break false;
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let newest = checkpoint_entries(run_dir)
        .iter()
        .filter(|n| n.starts_with("step-"))
        .filter_map(|n| step_of(n))
        .max()
        .expect("a complete checkpoint exists");
    (mid_write, newest)
}

#[test]
fn sigkill_while_checkpoints_are_written_never_loses_more_than_the_last_interval() {
    let lab = Lab::new();
    let reference = lab.path("reference");
    run_ok(lab.train(&reference, &EVERY_STEP));

    let mut landed_mid_write = 0;
    for (attempt, from_step) in [3u64, 11, 19].into_iter().enumerate() {
        let run_dir = lab.path(&format!("killed-{attempt}"));
        let (mid_write, newest) = kill_during_checkpoint_write(&lab, &run_dir, from_step);
        landed_mid_write += usize::from(mid_write);
        assert!(!run_dir.join("summary.json").exists());
        // Only complete checkpoints count, and each one verifies.
        let loaded = checkpoint::load_latest(&run_dir.join("checkpoints")).unwrap();
        assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
        assert_eq!(loaded.position.step, newest);
        let out = run_ok(lab.resume(&run_dir));
        assert!(
            out.stderr.contains(&format!("(step {newest})")),
            "{}",
            out.stderr
        );
        assert_eq!(
            summary(&run_dir)["training"]["resumed_from_step"],
            newest,
            "resumed from the newest complete checkpoint"
        );
        assert_same_results(&reference, &run_dir);
        assert!(
            checkpoint_entries(&run_dir)
                .iter()
                .all(|n| !n.starts_with(".partial-")),
            "the resumed run cleaned up the interrupted write"
        );
    }
    assert!(
        landed_mid_write >= 1,
        "no kill landed while a checkpoint was being written"
    );
}

/// A tmpfs mounted for one test and unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }

    /// Fills the file system: a file grown until the write fails with ENOSPC.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// How the disk fills up: a real full file system (a 4 MiB tmpfs holding the run
/// directory, filled to the last byte; mounting needs CAP_SYS_ADMIN), or — where mounting
/// is not permitted, or with `RELIABILITY_FULL_DISK=fsize` — RLIMIT_FSIZE on the resumed
/// process (`ulimit -f 4`, SIGXFSZ ignored, so a write past 4 KiB fails with EFBIG
/// instead of killing the process).
enum FullDisk {
    Tmpfs(Tmpfs),
    FileSizeLimit,
}

impl FullDisk {
    fn new(lab: &Lab) -> FullDisk {
        if std::env::var("RELIABILITY_FULL_DISK").as_deref() == Ok("fsize") {
            return FullDisk::FileSizeLimit;
        }
        match Tmpfs::mount(&lab.path("disk"), "4m") {
            Ok(tmpfs) => FullDisk::Tmpfs(tmpfs),
            Err(why) => {
                eprintln!("cannot mount a tmpfs ({why}); limiting the file size instead");
                FullDisk::FileSizeLimit
            }
        }
    }

    fn run_dir(&self, lab: &Lab) -> PathBuf {
        match self {
            FullDisk::Tmpfs(tmpfs) => tmpfs.dir.join("run"),
            FullDisk::FileSizeLimit => lab.path("run"),
        }
    }

    /// `train --resume` with no space to write; returns its outcome and the OS error.
    fn resume_without_space(
        &self,
        lab: &Lab,
        run_dir: &Path,
    ) -> (Outcome, Option<PathBuf>, &'static str) {
        let args = ["train", "--resume", run_dir.to_str().unwrap()];
        match self {
            FullDisk::Tmpfs(tmpfs) => {
                let filler = tmpfs.fill();
                (
                    run(lab.command(&args)),
                    Some(filler),
                    "No space left on device",
                )
            }
            FullDisk::FileSizeLimit => {
                let limited = [
                    "bash",
                    "-c",
                    "trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\"",
                ];
                (
                    run(lab.command_via(&limited, &args)),
                    None,
                    "File too large",
                )
            }
        }
    }
}

/// The disk fills up between two checkpoints (see [`FullDisk`]). The checkpoint write
/// fails with an error naming the checkpoint and the OS error once, the previous
/// checkpoint stays intact, and once there is space the run resumes from it and ends
/// exactly where an undisturbed run ends.
#[test]
fn a_full_disk_during_a_checkpoint_write_keeps_the_previous_checkpoint_and_resumes() {
    let lab = Lab::new();
    let wasm = fixture("fx-step-trap");
    let train = |out: &Path, fail_at: i64| {
        let fail = format!("regularizer.fail_at_step={fail_at}");
        run(lab.train(
            out,
            &[
                "--regularizer",
                wasm.to_str().unwrap(),
                "--set",
                &fail,
                "--set",
                "train.max_steps=12",
                "--set",
                "train.checkpoint_every=4",
                "--set",
                "train.eval_each_epoch=false",
                "--set",
                "train.log_every=1000",
            ],
        ))
    };
    let reference = lab.path("reference");
    assert_eq!(train(&reference, -1).code, Some(0));

    let disk = FullDisk::new(&lab);
    let run_dir = disk.run_dir(&lab);
    // The run stops at step 6 (the plugin), after its step-4 checkpoint.
    train(&run_dir, 6).assert_failed_cleanly();
    assert_eq!(checkpoint_entries(&run_dir), ["step-000000004"]);
    edit_run_config(&run_dir, "regularizer", "fail_at_step", (-1).into());

    let (out, filler, os_error) = disk.resume_without_space(&lab, &run_dir);
    let failed_checkpoint = run_dir.join("checkpoints/step-000000008");
    let error = out.assert_failed_cleanly().error_line();
    let expected = format!(
        "error: cannot write checkpoint tensors in {}: ",
        failed_checkpoint.display()
    );
    assert!(error.starts_with(&expected), "{error}");
    assert_eq!(error.matches(os_error).count(), 1, "{error}");
    let loaded = checkpoint::load_latest(&run_dir.join("checkpoints")).unwrap();
    assert_eq!(loaded.position.step, 4, "the previous checkpoint is intact");
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    assert!(!failed_checkpoint.exists(), "no torn step-8 checkpoint");

    if let Some(filler) = filler {
        std::fs::remove_file(filler).unwrap();
    }
    run_ok(lab.resume(&run_dir));
    assert_eq!(summary(&run_dir)["training"]["resumed_from_step"], 4);
    assert_same_results(&reference, &run_dir);
}
