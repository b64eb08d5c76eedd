//! The local launcher end to end: a 4-run sweep with `--jobs 2`, checked through every
//! file it writes; `--dry-run`; validation errors that stop the sweep before it starts.
use clora_host::sweep::status::RunState;
use clora_host::train::summary::Summary;

use super::fixture::{all_in, csv, four_runs, png_size, text, time, Fixture};

const RUNS: [&str; 4] = ["clora-k2", "clora-k8", "lora", "lora-pca"];

/// Checks REPORT.md, results.csv and the plots against the runs' own summaries.
pub fn check_report(fx: &Fixture) {
    let (header, rows) = csv(&fx.read("results.csv"));
    assert_eq!(
        header,
        [
            "run",
            "mode",
            "k",
            "status",
            "attempts",
            "in_domain_accuracy",
            "in_domain_f1",
            "arc_challenge_accuracy",
            "boolq_accuracy",
            "hellaswag_accuracy",
            "mean_ood_accuracy",
            "update_capacity_mean",
            "output_change_mean",
            "steps",
            "train_seconds",
        ]
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, run) in rows.iter().zip(RUNS) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("run")], run);
        assert_eq!(row[col("status")], "completed");
        let summary: Summary = serde_json::from_str(
            &std::fs::read_to_string(fx.run_dir(run).join("summary.json")).unwrap(),
        )
        .unwrap();
        let number = |name: &str| {
            row[col(name)]
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{run} {name}: {row:?}"))
        };
        // The CSV carries the summary's numbers, rounded to 4 decimals.
        let close = |name: &str, expected: f64| {
            assert!(
                (number(name) - expected).abs() <= 5e-5,
                "{run} {name}: {} vs {expected}",
                number(name)
            );
        };
        close(
            "in_domain_accuracy",
            summary.splits["validation"].metrics.accuracy,
        );
        close("in_domain_f1", summary.splits["validation"].metrics.f1);
        let ood = ["arc_challenge", "boolq", "hellaswag"];
        for split in ood {
            close(
                &format!("{split}_accuracy"),
                summary.splits[&format!("test.{split}")].metrics.accuracy,
            );
        }
        let mean = ood
            .iter()
            .map(|s| summary.splits[&format!("test.{s}")].metrics.accuracy)
            .sum::<f64>()
            / 3.0;
        close("mean_ood_accuracy", mean);
        close(
            "update_capacity_mean",
            summary.capacity.update_capacity.mean,
        );
        close("output_change_mean", summary.capacity.output_change.mean);
        assert!(
            number("update_capacity_mean") > 0.0,
            "training moved the adapters"
        );
        assert_eq!(row[col("steps")], "2");
    }
    let modes: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[col("mode")].as_str(), r[col("k")].as_str()))
        .collect();
    assert_eq!(
        modes,
        [
            ("clora", "2"),
            ("clora", "8"),
            ("lora", ""),
            ("lora+pca-grad", "")
        ]
    );

    let report = fx.read("REPORT.md");
    assert!(report.contains("4 runs, 4 completed"), "{report}");
    assert!(
        report.contains("| run | mode | k | in-domain acc | in-domain F1 | arc_challenge acc | boolq acc | hellaswag acc | mean OOD acc | ‖ΔW‖₂ mean | F mean | status |"),
        "{report}"
    );
    for (row, run) in rows.iter().zip(RUNS) {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("| `{run}` |")))
            .unwrap_or_else(|| panic!("no row for {run}"));
        assert!(line.ends_with("| completed |"), "{line}");
        assert!(
            line.contains(&format!("| {} |", row[col("in_domain_accuracy")])),
            "{line}"
        );
    }
    assert!(
        report.contains("![accuracy vs k](accuracy_vs_k.png)"),
        "{report}"
    );
    assert!(
        report.contains("![capacity vs k](capacity_vs_k.png)"),
        "{report}"
    );
    for plot in ["accuracy_vs_k.png", "capacity_vs_k.png"] {
        let bytes = std::fs::read(fx.sweep_dir().join(plot)).unwrap();
        assert_eq!(png_size(&bytes), (1280, 480), "{plot}: two 640×480 panels");
        assert!(
            bytes.len() > 10_000,
            "{plot} has content ({} bytes)",
            bytes.len()
        );
    }
}

#[test]
fn small_sweep_runs_two_at_a_time_and_writes_report_csv_and_plots() {
    let fx = Fixture::new();
    let file = fx.sweep_file("small", 2, &four_runs());
    let output = fx.sweep(&file, &["--jobs", "2"]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "REPORT_FILE: {}",
            fx.sweep_dir().join("REPORT.md").display()
        )),
        "{stdout}"
    );

    let status = fx.status().unwrap();
    assert_eq!(
        status
            .runs
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        RUNS
    );
    assert!(all_in(&status, RunState::Completed), "{status:?}");
    assert!(status
        .runs
        .iter()
        .all(|r| r.attempts == 1 && r.exit_code == Some(0)));
    // --jobs 2: the first two runs ran at the same time, and never more than two did.
    let spans: Vec<_> = status
        .runs
        .iter()
        .map(|r| (time(&r.started), time(&r.ended)))
        .collect();
    assert!(
        spans[1].0 < spans[0].1 && spans[0].0 < spans[1].1,
        "runs 1 and 2 overlap: {spans:?}"
    );
    for (start, _) in &spans {
        let running = spans
            .iter()
            .filter(|(s, e)| s <= start && start < e)
            .count();
        assert!(running <= 2, "at most 2 runs at once: {spans:?}");
    }
    for run in RUNS {
        let dir = fx.run_dir(run);
        let stderr_log = std::fs::read_to_string(dir.join("stderr.log")).unwrap();
        assert!(
            stderr_log.starts_with("=== attempt 1 (fresh)"),
            "{stderr_log}"
        );
        assert!(stderr_log.contains("summary written to"), "{stderr_log}");
        let stdout_log = std::fs::read_to_string(dir.join("stdout.log")).unwrap();
        assert!(stdout_log.contains("SUMMARY_FILE:"), "{stdout_log}");
        // The run's config is exactly the one the sweep validated.
        assert_eq!(
            std::fs::read_to_string(dir.join("config.toml")).unwrap(),
            fx.read(&format!("configs/{run}.toml"))
        );
    }
    let clora = fx.read("configs/clora-k8.toml");
    assert!(
        clora.contains("k = 8")
            && clora.contains("clora.wasm")
            && clora.contains("name = \"clora-k8\""),
        "{clora}"
    );
    // Live output is prefixed with the run's name.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[lora-pca] summary written to"), "{stderr}");
    check_report(&fx);

    // `sweep report` regenerates the report from the directory alone.
    std::fs::remove_file(fx.sweep_dir().join("REPORT.md")).unwrap();
    std::fs::remove_file(fx.sweep_dir().join("results.csv")).unwrap();
    let output = std::process::Command::new(crate::support::host_binary())
        .args(["sweep", "report"])
        .arg(fx.sweep_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    check_report(&fx);

    // Running it again without --resume would mix two sweeps: refused.
    let output = fx.sweep(&file, &[]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("already holds a sweep; continue it with --resume"),
        "{}",
        text(&output)
    );
}

#[test]
fn dry_run_lists_every_run_with_its_overrides_and_runs_nothing() {
    let fx = Fixture::new();
    let file = fx.sweep_file("dry", 2, &four_runs());
    let output = fx.sweep(&file, &["--dry-run", "--set", "train.lr=1e-3"]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("sweep `dry`: 4 runs, validated"),
        "{stdout}"
    );
    assert!(stdout.contains("train.lr = 0.001 (--set)"), "{stdout}");
    for (index, run) in [
        "clora-k2 (clora, k 2)",
        "clora-k8 (clora, k 8)",
        "lora (lora)",
        "lora-pca (lora+pca-grad)",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            stdout.contains(&format!("{}. {run}", index + 1)),
            "{run}: {stdout}"
        );
    }
    assert!(stdout.contains("regularizer.k = 8"), "{stdout}");
    assert!(stdout.contains("grad_processor.components = 2"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "train --config {}",
            fx.sweep_dir().join("configs/lora.toml").display()
        )),
        "{stdout}"
    );
    assert!(!fx.sweep_dir().exists(), "a dry run writes nothing");
}

#[test]
fn an_invalid_run_stops_the_sweep_before_anything_runs() {
    let fx = Fixture::new();
    let clora = super::fixture::wasm("clora");
    let cases = [
        (r#"set = { "train.lr" = -1.0 }"#.to_string(), "run `bad`: ", "`train.lr` = -1 is out of range"),
        (r#"set = { "train.lrr" = 1 }"#.to_string(), "run `bad`: ", "set train.lrr: unknown field `lrr`"),
        (
            format!("set = {{ \"regularizer.path\" = {clora} }}\nmatrix = {{ \"regularizer.kk\" = [1, 2] }}"),
            "run `bad-kk1`: ",
            "invalid parameters for plugin `clora`: unknown parameter `kk`",
        ),
        (
            r#"set = { "grad_processor.path" = "nowhere/pca.wasm" }"#.to_string(),
            "run `bad`: ",
            "`grad_processor.path`: no plugin file nowhere/pca.wasm",
        ),
    ];
    for (entry, run, message) in cases {
        let runs = format!("[[runs]]\nname = \"good\"\n\n[[runs]]\nname = \"bad\"\n{entry}\n");
        let file = fx.sweep_file("invalid", 2, &runs);
        let output = fx.sweep(&file, &[]);
        assert!(!output.status.success(), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(run) && stderr.contains(message),
            "want {run}…{message}:\n{stderr}"
        );
        assert_eq!(stderr.matches(message).count(), 1, "said once: {stderr}");
        assert!(!fx.sweep_dir().exists(), "nothing was started");
    }
}
