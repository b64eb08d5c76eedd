//! `clora-host data prepare | inspect | clear-cache` on the demo files with
//! configs/local.toml and `--set data.root=…`: the cache cycle, damaged entries, the
//! bad-row policies with file:line, and empty splits.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clora_host::data::synthetic::{self, DemoSizes};
use serde_json::Value;

use super::common::tiny_model;
use crate::support;

struct Demo {
    tmp: tempfile::TempDir,
    model: PathBuf,
}

impl Demo {
    fn new() -> Demo {
        let tmp = tempfile::tempdir().unwrap();
        let sizes = DemoSizes {
            train: 40,
            validation: 10,
            boolq: 6,
            arc: 5,
            hellaswag: 4,
        };
        synthetic::write_demo_dataset(&tmp.path().join("root"), 9, sizes).unwrap();
        let model = tiny_model(tmp.path());
        Demo { tmp, model }
    }

    fn train_file(&self) -> PathBuf {
        self.tmp
            .path()
            .join("root/commonsense_qa/train_rand_split.jsonl")
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }

    fn run(&self, args: &[&str], extra_sets: &[&str]) -> Output {
        let root = format!("data.root={}", self.tmp.path().join("root").display());
        let cache = format!("data.cache_dir={}", self.cache().display());
        let mut cmd = Command::new(support::host_binary());
        cmd.current_dir(support::repo_root())
            .env("HF_HUB_OFFLINE", "1")
            .env("XDG_CACHE_HOME", self.tmp.path().join("xdg"))
            .arg("data")
            .args(args)
            .args([
                "--config",
                "configs/local.toml",
                "--set",
                &root,
                "--set",
                &cache,
            ]);
        if args[0] != "clear-cache" {
            cmd.arg("--model").arg(&self.model);
        }
        for set in extra_sets {
            cmd.args(["--set", set]);
        }
        cmd.output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: Output) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

fn entries(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.to_string_lossy().ends_with(suffix));
    found.sort();
    found
}

#[test]
fn prepare_then_inspect_from_the_cache_then_clear_it() {
    let demo = Demo::new();
    let (stdout, _) = ok(demo.run(&["prepare"], &[]));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].starts_with("train: 80 examples from 40 rows (0 skipped); cache Rebuilt in "),
        "{stdout}"
    );
    assert!(
        lines.iter().all(|l| l.contains("cache Rebuilt")),
        "{stdout}"
    );
    assert_eq!(entries(&demo.cache(), ".tokens").len(), 5);
    assert_eq!(entries(&demo.cache(), ".examples").len(), 5);

    let (stdout, _) = ok(demo.run(&["inspect", "--json"], &[]));
    let reports: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, u64, u64)> = reports
        .iter()
        .map(|r| {
            (
                r["split"].as_str().unwrap().to_string(),
                r["rows_read"].as_u64().unwrap(),
                r["examples"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("train".into(), 40, 80),
            ("validation".into(), 10, 20),
            ("test.arc_challenge".into(), 5, 10),
            ("test.boolq".into(), 6, 6),
            ("test.hellaswag".into(), 4, 8),
        ]
    );
    assert_eq!(reports[0]["positive_fraction"], 0.5);
    assert!(
        reports[0]["length_p50"].as_u64().unwrap() <= reports[0]["length_p95"].as_u64().unwrap()
    );
    assert!(reports[4]["source"]
        .as_str()
        .unwrap()
        .ends_with("hellaswag/hellaswag_val.jsonl.gz"));

    let (table, _) = ok(demo.run(&["inspect", "--split", "train"], &[]));
    assert!(table.starts_with("split "), "{table}");
    assert!(
        table.contains("train ") && table.contains("commonsense-qa"),
        "{table}"
    );

    let (stdout, _) = ok(demo.run(&["prepare", "--split", "validation"], &[]));
    assert!(stdout.contains("cache Tokens"), "{stdout}");
    let (stdout, _) = ok(demo.run(&["clear-cache"], &[]));
    assert!(stdout.starts_with("removed 10 cache entries"), "{stdout}");
    assert!(entries(&demo.cache(), "").is_empty());
    let (stdout, _) = ok(demo.run(&["prepare", "--split", "validation"], &[]));
    assert!(stdout.contains("cache Rebuilt"), "{stdout}");
}

#[test]
fn damaged_cache_entries_are_rebuilt() {
    let demo = Demo::new();
    ok(demo.run(&["prepare", "--split", "train"], &[]));
    let tokens = entries(&demo.cache(), ".tokens").pop().unwrap();
    let bytes = std::fs::read(&tokens).unwrap();
    std::fs::write(&tokens, &bytes[..bytes.len() / 2]).unwrap();
    let (stdout, stderr) = ok(demo.run(&["prepare", "--split", "train"], &[]));
    assert!(stdout.contains("cache Examples"), "{stdout}");
    assert!(
        stderr.contains("ignoring damaged entry") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&tokens).unwrap(), bytes);

    for path in entries(&demo.cache(), "") {
        let mut damaged = std::fs::read(&path).unwrap();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x01;
        std::fs::write(&path, damaged).unwrap();
    }
    let (stdout, stderr) = ok(demo.run(&["prepare", "--split", "train"], &[]));
    assert!(stdout.contains("cache Rebuilt"), "{stdout}");
    assert!(stderr.contains("checksum"), "{stderr}");
    assert_eq!(std::fs::read(&tokens).unwrap(), bytes);
}

#[test]
fn bad_rows_are_skipped_with_a_summary_or_fail_with_file_and_line() {
    let demo = Demo::new();
    let file = demo.train_file();
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = "{not json".into();
    lines[4] = lines[4].replacen("\"answerKey\":\"", "\"answerKey\":\"Z", 1);
    lines[6] = lines[6].replacen("\"answerKey\"", "\"answerKeyX\"", 1);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let (stdout, stderr) = ok(demo.run(&["inspect", "--json", "--split", "train"], &[]));
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (
            report["rows_read"].as_u64(),
            report["rows_skipped"].as_u64()
        ),
        (Some(40), Some(3))
    );
    assert_eq!(report["examples"], 74);
    let shown = file.display();
    assert!(
        stderr.contains("skipped 3 of 40 rows of train:"),
        "{stderr}"
    );
    assert!(stderr.contains("1 × invalid JSON\n"), "{stderr}");
    assert!(
        stderr.contains("1 × missing field `answerKey`\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 × answerKey \"…\" is not one of the choice labels A, B, C, D, E"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("e.g. {shown}:3: invalid JSON: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("e.g. {shown}:5: answerKey \"Z")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("e.g. {shown}:7: missing field `answerKey`")),
        "{stderr}"
    );

    // `fail` stops at the first bad row, also when the split is already cached.
    let out = demo.run(&["prepare", "--split", "train"], &["data.bad_rows=fail"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: preparing split `train`: {shown}:3: bad row: invalid JSON: "
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(demo.cache()).unwrap();
    let out = demo.run(&["prepare", "--split", "train"], &["data.bad_rows=fail"]);
    assert!(
        text(&out.stderr).contains(&format!("{shown}:3: bad row: invalid JSON")),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_empty_split_is_an_error() {
    let demo = Demo::new();
    std::fs::write(demo.train_file(), "\n{\"id\": 1}\n\n").unwrap();
    let out = demo.run(&["prepare", "--split", "train"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("split `train` is empty: 1 rows read, 1 skipped, 0 examples"),
        "{stderr}"
    );
    let out = demo.run(&["prepare", "--split", "test.nope"], &[]);
    assert!(
        text(&out.stderr).contains("no split `test.nope`"),
        "{}",
        text(&out.stderr)
    );
}
