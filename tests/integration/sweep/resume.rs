//! Ctrl-C during a sweep: the running run checkpoints and is marked interrupted, the next
//! one never starts; `--resume` continues the interrupted run from its checkpoint, runs
//! the missing one and leaves the completed one alone.
use std::time::{Duration, SystemTime};

use clora_host::sweep::status::RunState;
use clora_host::train::summary::Summary;

use super::fixture::{text, Fixture};

fn summary(fx: &Fixture, run: &str) -> Summary {
    serde_json::from_str(&std::fs::read_to_string(fx.run_dir(run).join("summary.json")).unwrap())
        .unwrap()
}

fn modified(path: &std::path::Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn an_interrupted_sweep_resumes_only_what_is_missing() {
    let fx = Fixture::new();
    // "long" trains long enough to be interrupted mid-way; the others take 2 steps.
    let runs = r#"
[[runs]]
name = "done"

[[runs]]
name = "long"
set = { "train.max_steps" = 60 }

[[runs]]
name = "missing"
"#;
    let file = fx.sweep_file("resumable", 2, runs);
    let mut sweep = fx.spawn(&file, &["--jobs", "1"], &[]);
    // Wait until "long" is training (a step was logged), then Ctrl-C the sweep.
    let metrics = fx.run_dir("long").join("metrics.jsonl");
    fx.wait_for(
        &mut sweep,
        Duration::from_secs(240),
        "`long` to train",
        |s| {
            s.get("long").is_some_and(|r| r.state == RunState::Running)
                && std::fs::read_to_string(&metrics).is_ok_and(|m| m.lines().count() >= 2)
        },
    );
    unsafe {
        libc::kill(sweep.id() as libc::pid_t, libc::SIGINT);
    }
    let output = sweep.wait_with_output().unwrap();
    assert!(!output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("interrupt: asking 1 running run(s) to checkpoint and stop"),
        "{stderr}"
    );
    assert!(
        stderr.contains("continue with: clora-host sweep"),
        "{stderr}"
    );

    let status = fx.status().unwrap();
    let states: Vec<_> = status
        .runs
        .iter()
        .map(|r| (r.name.as_str(), r.state, r.attempts))
        .collect();
    assert_eq!(
        states,
        [
            ("done", RunState::Completed, 1),
            ("long", RunState::Interrupted, 1),
            ("missing", RunState::Pending, 0)
        ]
    );
    assert!(
        !fx.run_dir("missing").exists(),
        "the third run never started"
    );
    assert!(!fx.run_dir("long").join("summary.json").exists());
    let checkpoints = std::fs::read_dir(fx.run_dir("long").join("checkpoints"))
        .unwrap()
        .count();
    assert!(checkpoints >= 1, "train checkpointed on SIGINT");
    let done_summary = fx.run_dir("done").join("summary.json");
    let done_mtime = modified(&done_summary);
    let report = fx.read("REPORT.md");
    assert!(
        report.contains("3 runs, 1 completed, 1 interrupted, 1 pending"),
        "{report}"
    );

    std::thread::sleep(Duration::from_millis(50));
    let output = fx.sweep(&file, &["--jobs", "1", "--resume"]);
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 of 3 runs already completed; running the other 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sweep: long: attempt 2 (resume)"),
        "{stderr}"
    );
    assert!(!stderr.contains("sweep: done: attempt"), "{stderr}");

    let status = fx.status().unwrap();
    let states: Vec<_> = status
        .runs
        .iter()
        .map(|r| (r.name.as_str(), r.state, r.attempts, r.resumed))
        .collect();
    assert_eq!(
        states,
        [
            ("done", RunState::Completed, 1, false),
            ("long", RunState::Completed, 2, true),
            ("missing", RunState::Completed, 1, false)
        ]
    );
    assert_eq!(
        modified(&done_summary),
        done_mtime,
        "the completed run was not run again"
    );
    let long = summary(&fx, "long");
    assert!(
        long.training.resumed_from_step.is_some_and(|s| s >= 1),
        "{:?}",
        long.training
    );
    assert_eq!(long.training.steps, 60);
    assert!(fx.read("REPORT.md").contains("3 runs, 3 completed"));
}
