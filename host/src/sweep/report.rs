//! The sweep report: `REPORT.md` (one table row per run: k / mode, in-domain accuracy
//! and F1, each out-of-domain accuracy and their mean, ‖ΔW‖₂ and F means, status),
//! `results.csv` with the same numbers, and the plots (`accuracy_vs_k.png`,
//! `capacity_vs_k.png`). Regenerated from the sweep directory alone
//! (`clora-host sweep report DIR`).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::error::{io_err, SweepError};
use super::layout::SweepDir;
use super::plot::{self, Panel};
use super::results::{self, RunResult, SavedPlan};
use super::status::{now, RunState};
use crate::fsutil;

pub const ACCURACY_PLOT: &str = "accuracy_vs_k.png";
pub const CAPACITY_PLOT: &str = "capacity_vs_k.png";

/// The files a report wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub report: PathBuf,
    pub csv: PathBuf,
    pub plots: Vec<PathBuf>,
    pub results: Vec<RunResult>,
}

/// Writes REPORT.md, results.csv and the plots into the sweep directory.
pub fn write(dir: &SweepDir) -> Result<ReportFiles, SweepError> {
    let (plan, results) = results::collect(dir)?;
    let ood = results::ood_splits(&results);
    let mut plots = Vec::new();
    for (file, panels) in [
        (ACCURACY_PLOT, accuracy_panels(&results)),
        (CAPACITY_PLOT, capacity_panels(&results)),
    ] {
        let path = dir.root().join(file);
        match plot::render(file, &panels)? {
            Some(png) => {
                fsutil::write_atomic(&path, &png).map_err(io_err("cannot write", &path))?;
                plots.push(path);
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let csv = dir.results_file();
    fsutil::write_atomic(&csv, csv_text(&results, &ood).as_bytes())
        .map_err(io_err("cannot write", &csv))?;
    let report = dir.report_file();
    let markdown = markdown(&plan, dir, &results, &ood, &plots);
    fsutil::write_atomic(&report, markdown.as_bytes()).map_err(io_err("cannot write", &report))?;
    Ok(ReportFiles {
        report,
        csv,
        plots,
        results,
    })
}

fn accuracy_panels(results: &[RunResult]) -> Vec<Panel> {
    vec![
        panel(
            results,
            "In-domain accuracy (validation)",
            "accuracy",
            |m| Some(m.in_domain_accuracy),
        ),
        panel(
            results,
            "Out-of-domain accuracy (mean of test splits)",
            "accuracy",
            |m| m.mean_ood_accuracy,
        ),
    ]
}

fn capacity_panels(results: &[RunResult]) -> Vec<Panel> {
    vec![
        panel(
            results,
            "Update capacity ‖ΔW‖₂ (mean over layers)",
            "‖ΔW‖₂",
            |m| Some(m.update_capacity),
        ),
        panel(
            results,
            "Output change F = ‖ΔW·x‖/‖x‖ (mean)",
            "F",
            |m| Some(m.output_change),
        ),
    ]
}

/// One panel: runs with a k grouped into a line per mode; runs without k as baselines.
fn panel(
    results: &[RunResult],
    title: &str,
    y_label: &str,
    value: impl Fn(&results::Metrics) -> Option<f64>,
) -> Panel {
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut baselines = Vec::new();
    for result in results {
        let Some(y) = result.metrics.as_ref().and_then(&value) else {
            continue;
        };
        match result.info.k {
            Some(k) if k > 0 => series
                .entry(result.info.mode.clone())
                .or_default()
                .push((k as f64, y)),
            _ => baselines.push((baseline_label(result), y)),
        }
    }
    Panel {
        title: title.to_string(),
        y_label: y_label.to_string(),
        series: series.into_iter().collect(),
        baselines,
    }
}

fn baseline_label(result: &RunResult) -> String {
    if result.info.name == result.info.mode {
        result.info.name.clone()
    } else {
        format!("{} ({})", result.info.name, result.info.mode)
    }
}

fn fmt(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| format!("{v:.4}"))
}

/// The columns of results.csv, in order.
pub fn csv_header(ood: &[String]) -> Vec<String> {
    let mut header: Vec<String> = [
        "run",
        "mode",
        "k",
        "status",
        "attempts",
        "in_domain_accuracy",
        "in_domain_f1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(ood.iter().map(|s| format!("{s}_accuracy")));
    header.extend(
        [
            "mean_ood_accuracy",
            "update_capacity_mean",
            "output_change_mean",
            "steps",
            "train_seconds",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    header
}

fn csv_text(results: &[RunResult], ood: &[String]) -> String {
    let mut out = csv_header(ood).join(",");
    out.push('\n');
    for r in results {
        let m = r.metrics.as_ref();
        let mut row = vec![
            r.info.name.clone(),
            r.info.mode.clone(),
            r.info.k.map_or(String::new(), |k| k.to_string()),
            r.state.as_str().to_string(),
            r.attempts.to_string(),
            fmt(m.map(|m| m.in_domain_accuracy)),
            fmt(m.map(|m| m.in_domain_f1)),
        ];
        row.extend(
            ood.iter()
                .map(|s| fmt(m.and_then(|m| m.ood_accuracy.get(s).copied()))),
        );
        row.extend([
            fmt(m.and_then(|m| m.mean_ood_accuracy)),
            fmt(m.map(|m| m.update_capacity)),
            fmt(m.map(|m| m.output_change)),
            m.map_or(String::new(), |m| m.steps.to_string()),
            m.map_or(String::new(), |m| format!("{:.1}", m.train_seconds)),
        ]);
        out.push_str(
            &row.iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn markdown(
    plan: &SavedPlan,
    dir: &SweepDir,
    results: &[RunResult],
    ood: &[String],
    plots: &[PathBuf],
) -> String {
    let name = &plan.name;
    let mut md = String::new();
    let count = |state: RunState| results.iter().filter(|r| r.state == state).count();
    let _ = writeln!(md, "# Sweep `{name}`\n");
    let mut counts = vec![format!("{} runs", results.len())];
    for state in [
        RunState::Completed,
        RunState::Failed,
        RunState::Interrupted,
        RunState::Running,
        RunState::Pending,
    ] {
        if count(state) > 0 {
            counts.push(format!("{} {}", count(state), state.as_str()));
        }
    }
    let _ = writeln!(
        md,
        "{}. Written {} (regenerate with `clora-host sweep report {}`).\n",
        counts.join(", "),
        now(),
        dir.root().display()
    );
    let _ = writeln!(
        md,
        "In-domain = the `validation` split; out-of-domain = the `test.*` splits. ‖ΔW‖₂ = spectral norm of \
         the LoRA update, F = ‖ΔW·x‖/‖x‖ over validation inputs, both averaged over adapted layers \
         (CLoRA paper, Table 4).\n"
    );
    let mut header = vec![
        "run".to_string(),
        "mode".into(),
        "k".into(),
        "in-domain acc".into(),
        "in-domain F1".into(),
    ];
    header.extend(ood.iter().map(|s| format!("{s} acc")));
    header.extend([
        "mean OOD acc".to_string(),
        "‖ΔW‖₂ mean".into(),
        "F mean".into(),
        "status".into(),
    ]);
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let last = header.len() - 1;
    let align = |i: usize| if i < 3 || i == last { "---|" } else { "---:|" };
    let _ = writeln!(md, "|{}", (0..header.len()).map(align).collect::<String>());
    for r in results {
        let m = r.metrics.as_ref();
        let mut row = vec![
            format!("`{}`", r.info.name),
            r.info.mode.clone(),
            r.info.k.map_or("–".to_string(), |k| k.to_string()),
            fmt(m.map(|m| m.in_domain_accuracy)),
            fmt(m.map(|m| m.in_domain_f1)),
        ];
        row.extend(
            ood.iter()
                .map(|s| fmt(m.and_then(|m| m.ood_accuracy.get(s).copied()))),
        );
        row.extend([
            fmt(m.and_then(|m| m.mean_ood_accuracy)),
            fmt(m.map(|m| m.update_capacity)),
            fmt(m.map(|m| m.output_change)),
            r.state.as_str().to_string(),
        ]);
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push('\n');
    for plot in plots {
        let file = plot
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "![{}]({file})\n",
            file.trim_end_matches(".png").replace('_', " ")
        );
    }
    if plots.is_empty() {
        md.push_str("No plots: no completed run has a regularizer parameter `k`.\n\n");
    }
    let unfinished: Vec<&RunResult> = results
        .iter()
        .filter(|r| r.state != RunState::Completed)
        .collect();
    if !unfinished.is_empty() {
        md.push_str("## Runs not completed\n\n");
        for r in unfinished {
            let why = r.message.as_deref().unwrap_or("");
            let _ = writeln!(
                md,
                "- `{}`: {} after {} attempt(s). {why}",
                r.info.name,
                r.state.as_str(),
                r.attempts
            );
        }
        md.push('\n');
    }
    md.push_str("## Runs\n\n");
    if let Some(first) = results.first().filter(|r| !r.info.configs.is_empty()) {
        let files: Vec<String> = first
            .info
            .configs
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        let _ = writeln!(md, "Config files: {}.\n", files.join(", "));
    }
    if !plan.base.is_empty() {
        let _ = writeln!(
            md,
            "Every run: {}.\n",
            plan.base
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for r in results {
        let overrides = if r.info.overrides.is_empty() {
            "no overrides of its own".to_string()
        } else {
            r.info
                .overrides
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            md,
            "- `{}` (`runs/{}/`): {overrides}",
            r.info.name, r.info.name
        );
    }
    md
}
