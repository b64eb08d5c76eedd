//! The Slurm launcher against a real single-node Slurm cluster (slurmctld + slurmd on
//! localhost). It needs one: `host/scripts/slurm-test.sh` installs slurm-wlm and munge,
//! starts the daemons and runs this test with `CLORA_SLURM_TEST=1`; without that
//! variable the test says so and passes without running.
use clora_host::sweep::status::RunState;

use super::fixture::{all_in, four_runs, text, Fixture};
use super::local::check_report;

#[test]
fn the_small_sweep_completes_through_slurm() {
    if std::env::var("CLORA_SLURM_TEST").as_deref() != Ok("1") {
        eprintln!(
            "skipped: sweep::slurm needs a Slurm cluster; run host/scripts/slurm-test.sh (sets CLORA_SLURM_TEST=1)"
        );
        return;
    }
    let fx = Fixture::new();
    let runs = format!("{}\n[launcher]\npoll_ms = 500\n", four_runs());
    let file = fx.sweep_file("small", 2, &runs);
    let output = fx.sweep(&file, &["--launcher", "slurm", "--jobs", "2"]);
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("submitted Slurm job array"), "{stderr}");

    let status = fx.status().unwrap();
    assert_eq!(status.launcher, "slurm");
    assert!(all_in(&status, RunState::Completed), "{status:?}");
    for (index, record) in status.runs.iter().enumerate() {
        let job = record
            .slurm_job
            .as_deref()
            .unwrap_or_else(|| panic!("{} has a Slurm job", record.name));
        assert!(
            job.ends_with(&format!("_{index}")),
            "array task {index}: {job}"
        );
        assert_eq!(record.attempts, 1);
    }
    let array = fx.read("slurm/round-1/array.sh");
    assert!(array.contains("#SBATCH --array=0-3%2"), "{array}");
    for index in 0..4 {
        assert_eq!(
            fx.read(&format!("slurm/round-1/task-{index}.exit")).trim(),
            "0"
        );
    }
    for run in ["clora-k2", "clora-k8", "lora", "lora-pca"] {
        let log = std::fs::read_to_string(fx.run_dir(run).join("stderr.log")).unwrap();
        assert!(
            log.contains("as Slurm task") && log.contains("summary written to"),
            "{log}"
        );
    }
    check_report(&fx);
    // What the launcher said (shown with --nocapture, as host/scripts/slurm-test.sh runs it).
    for line in stderr.lines().filter(|l| l.starts_with("sweep: ")) {
        eprintln!("{line}");
    }
    eprintln!("{}", fx.read("results.csv"));
}
