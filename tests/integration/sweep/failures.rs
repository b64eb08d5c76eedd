//! A run that fails (its training data file does not exist: the config is valid, the run
//! is not) is retried, reported as failed, and never stops the other runs.
use clora_host::sweep::status::RunState;

use super::fixture::{csv, text, Fixture};

#[test]
fn a_failing_run_is_retried_and_reported_while_the_others_complete() {
    let fx = Fixture::new();
    let runs = r#"
[[runs]]
name = "first"

[[runs]]
name = "broken"
set = { "data.train.files" = ["no-such-dir/train.jsonl"] }

[[runs]]
name = "last"
"#;
    let file = fx.sweep_file("failing", 2, runs);
    let output = fx.sweep(&file, &["--jobs", "2", "--retries", "1"]);
    assert!(
        !output.status.success(),
        "a failed run fails the sweep: {}",
        text(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: 1 of 3 runs failed (see "),
        "{stderr}"
    );
    assert!(
        stderr.contains("sweep: broken: failed (attempt 1 of 2):"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sweep: broken: failed after 2 attempt(s):"),
        "{stderr}"
    );

    let broken = fx.record("broken");
    assert_eq!(broken.state, RunState::Failed);
    assert_eq!(broken.attempts, 2, "retried once");
    assert_ne!(broken.exit_code, Some(0));
    let message = broken.message.unwrap();
    assert!(
        message.contains("no-such-dir/train.jsonl"),
        "the reason is recorded: {message}"
    );
    for run in ["first", "last"] {
        let record = fx.record(run);
        assert_eq!(
            (record.state, record.attempts),
            (RunState::Completed, 1),
            "{run}"
        );
    }
    // Both attempts are in the run's log; the first attempt's directory was kept aside.
    let log = std::fs::read_to_string(fx.run_dir("broken").join("stderr.log")).unwrap();
    assert!(
        log.contains("=== attempt 1 (fresh)") && log.contains("=== attempt 2 (fresh)"),
        "{log}"
    );
    assert!(log.matches("no-such-dir/train.jsonl").count() >= 2, "{log}");
    let first =
        std::fs::read_to_string(fx.sweep_dir().join("attempts/broken.1/stderr.log")).unwrap();
    assert!(
        first.contains("=== attempt 1 (fresh)") && !first.contains("=== attempt 2"),
        "{first}"
    );

    let (header, rows) = csv(&fx.read("results.csv"));
    let status_col = header.iter().position(|h| h == "status").unwrap();
    let acc_col = header
        .iter()
        .position(|h| h == "in_domain_accuracy")
        .unwrap();
    let states: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[status_col].as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("first", "completed"),
            ("broken", "failed"),
            ("last", "completed")
        ]
    );
    assert_eq!(rows[1][acc_col], "", "a failed run has no metrics");
    let report = fx.read("REPORT.md");
    assert!(report.contains("3 runs, 2 completed, 1 failed"), "{report}");
    let row = report
        .lines()
        .find(|l| l.starts_with("| `broken` |"))
        .unwrap();
    assert!(row.ends_with("| failed |"), "{row}");
    assert!(
        report.contains("- `broken`: failed after 2 attempt(s)."),
        "{report}"
    );
    // No run has a k: the table is there, the plots are not.
    assert!(report.contains("No plots"), "{report}");
}
