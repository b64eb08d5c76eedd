//! GPU scheduling without a GPU: a fake `nvidia-smi` on PATH reports free memory from a
//! file the test rewrites. Runs on "auto" devices wait until a GPU has the memory they
//! need (`--gpu-memory`), then start pinned to it (`CUDA_VISIBLE_DEVICES`); on this
//! CPU-only machine libtorch then trains on the CPU.
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use clora_host::sweep::status::RunState;

use super::fixture::{text, time, Fixture};

#[test]
fn runs_wait_for_free_gpu_memory_and_are_pinned_to_the_gpu_that_has_it() {
    let fx = Fixture::new();
    let bin = fx.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gpus = fx.path().join("gpus.csv");
    let calls = fx.path().join("nvidia-smi.calls");
    // index, memory.free, memory.total (MiB), as `--format=csv,noheader,nounits` prints.
    std::fs::write(&gpus, "0, 300, 81559\n1, 900, 81559\n").unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\ncat '{}'\n",
        calls.display(),
        gpus.display()
    );
    let fake = bin.join("nvidia-smi");
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

    let runs = "[[runs]]\nname = \"a\"\n\n[[runs]]\nname = \"b\"\n";
    let file = fx.sweep_file("gpu", 2, runs);
    // The fixture trains on "cpu", which never waits for a GPU; these runs use "auto".
    let file_text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("device = \"cpu\"", "device = \"auto\"");
    std::fs::write(&file, file_text).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut sweep = fx.spawn(
        &file,
        &["--jobs", "2", "--gpu-memory", "1000"],
        &[("PATH", path)],
    );

    // Neither GPU has 1000 MiB free: nothing starts (the launcher polls every 250 ms).
    fx.wait_for(
        &mut sweep,
        Duration::from_secs(120),
        "the status file",
        |_| true,
    );
    let asked = || std::fs::read_to_string(&calls).map_or(0, |c| c.lines().count());
    let start = Instant::now();
    while asked() < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nvidia-smi is polled"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = fx.status().unwrap();
    assert!(
        status
            .runs
            .iter()
            .all(|r| r.state == RunState::Pending && r.attempts == 0),
        "{status:?}"
    );
    // GPU 1 frees 30 GB: both runs fit there (GPU 0 still has too little).
    let freed = Instant::now();
    let freed_at = chrono::Utc::now();
    std::fs::write(&gpus, "0, 800, 81559\n1, 30000, 81559\n").unwrap();
    let output = sweep.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(freed.elapsed() < Duration::from_secs(300));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "a: waiting for 1000 MiB of free GPU memory (free now: GPU 0 300 MiB, GPU 1 900 MiB)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("sweep: a: attempt 1 (fresh) on GPU 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sweep: b: attempt 1 (fresh) on GPU 1"),
        "{stderr}"
    );
    for run in ["a", "b"] {
        let record = fx.record(run);
        assert_eq!(
            (record.state, record.gpu),
            (RunState::Completed, Some(1)),
            "{run}"
        );
        assert!(
            time(&record.started) >= freed_at - chrono::Duration::milliseconds(50),
            "{run} started after the memory was freed"
        );
    }
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert!(
        calls.lines().all(
            |l| l == "--query-gpu=index,memory.free,memory.total --format=csv,noheader,nounits"
        ),
        "{calls}"
    );
}
