//! Hub datasets through a loopback Hub: the default (experiment) splits fetched as
//! parquet into the HF cache, served from the cache afterwards; a missing file; an
//! interrupted download; and `clora-host data` honouring HF_ENDPOINT, HF_HOME and
//! HF_HUB_OFFLINE.
use std::path::Path;
use std::process::Command;

use clora_host::data::synthetic::{self, Dataset, Schema};
use clora_host::data::{CacheUse, DataConfig};
use clora_host::hub::{Hub, HubSettings};
use serde_json::Value;

use super::common::{converters, plugin, prepare, tiny_model, write_parquet};
use super::hub_server::{DatasetHub, COMMIT};
use crate::support;

/// The experiment's five splits: (split id, repo, file, synthetic dataset, rows).
const SPLITS: [(&str, &str, &str, Dataset, usize); 5] = [
    (
        "train",
        "tau/commonsense_qa",
        "data/train-00000-of-00001.parquet",
        Dataset::CommonsenseQa,
        24,
    ),
    (
        "validation",
        "tau/commonsense_qa",
        "data/validation-00000-of-00001.parquet",
        Dataset::CommonsenseQa,
        8,
    ),
    (
        "test.arc_challenge",
        "allenai/ai2_arc",
        "ARC-Challenge/validation-00000-of-00001.parquet",
        Dataset::Arc,
        7,
    ),
    (
        "test.boolq",
        "google/boolq",
        "data/validation-00000-of-00001.parquet",
        Dataset::BoolQ,
        9,
    ),
    (
        "test.hellaswag",
        "Rowan/hellaswag",
        "data/validation-00000-of-00001.parquet",
        Dataset::HellaSwag,
        6,
    ),
];

/// Serves the Hub-schema parquet of the splits whose id passes `serve`.
fn serve(server: &DatasetHub, dir: &Path, serve: impl Fn(&str) -> bool) {
    for (id, repo, file, dataset, n) in SPLITS {
        if serve(id) {
            let path = dir.join(format!("{id}.parquet"));
            write_parquet(&path, &synthetic::rows(dataset, Schema::Hub, n, 2, id));
            server.put(repo, file, std::fs::read(path).unwrap());
        }
    }
}

fn hub(server: &DatasetHub, cache: &Path, offline: bool) -> Hub {
    Hub::new(HubSettings {
        cache_dir: cache.to_path_buf(),
        endpoint: server.endpoint.clone(),
        token: None,
        offline,
        progress: false,
    })
}

/// The default `[data]` section with the plugins by absolute path.
fn default_config(cache: &Path) -> DataConfig {
    let mut config = DataConfig {
        cache_dir: cache.to_path_buf(),
        ..DataConfig::default()
    };
    config.train.preprocessor = plugin("commonsense-qa");
    config.validation.preprocessor = plugin("commonsense-qa");
    for split in config.test.values_mut() {
        split.preprocessor = plugin(&split.dataset);
    }
    config
}

#[test]
fn the_default_splits_come_from_the_hub_once_then_from_the_caches() {
    let tmp = tempfile::tempdir().unwrap();
    let server = DatasetHub::start();
    serve(&server, tmp.path(), |_| true);
    let config = default_config(&tmp.path().join("data-cache"));
    let model = tiny_model(tmp.path());
    let conv = converters(42);
    let online = hub(&server, &tmp.path().join("hf"), false);
    for (id, repo, file, dataset, n) in SPLITS {
        let prepared = prepare(&config, &model, &conv, &online, id).unwrap();
        let examples = if dataset == Dataset::BoolQ { n } else { 2 * n };
        assert_eq!(prepared.split.len(), examples, "{id}");
        let cached = tmp
            .path()
            .join("hf")
            .join(format!("datasets--{}", repo.replace('/', "--")));
        assert_eq!(
            prepared.split.meta.files,
            [cached.join("snapshots").join(COMMIT).join(file)],
            "{id}"
        );
    }
    let served = server.requests();
    assert!(
        served >= 10,
        "a metadata and a body request per file: {served}"
    );

    // Warm: the HF cache answers for the files (even offline), the data cache for the rest.
    let offline = hub(&server, &tmp.path().join("hf"), true);
    for (id, ..) in SPLITS {
        assert_eq!(
            prepare(&config, &model, &conv, &offline, id).unwrap().cache,
            CacheUse::Tokens,
            "{id}"
        );
    }
    assert_eq!(server.requests(), served);
}

#[test]
fn a_missing_file_and_an_interrupted_download_are_errors_that_leave_no_cache_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let server = DatasetHub::start();
    serve(&server, tmp.path(), |id| id == "train");
    let config = default_config(&tmp.path().join("data-cache"));
    let model = tiny_model(tmp.path());
    let conv = converters(42);
    let online = hub(&server, &tmp.path().join("hf"), false);

    let err = prepare(&config, &model, &conv, &online, "validation")
        .unwrap_err()
        .to_string();
    assert!(err.contains("404"), "{err}");
    assert!(
        err.contains("tau/commonsense_qa")
            && err.contains("data/validation-00000-of-00001.parquet"),
        "{err}"
    );

    server.interrupt_next("tau/commonsense_qa", "data/train-00000-of-00001.parquet");
    let err = prepare(&config, &model, &conv, &online, "train")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("data/train-00000-of-00001.parquet") && err.contains("download"),
        "{err}"
    );
    let snapshot = tmp
        .path()
        .join("hf/datasets--tau--commonsense_qa/snapshots")
        .join(COMMIT);
    assert!(!snapshot.join("data/train-00000-of-00001.parquet").exists());
    assert!(
        !tmp.path().join("data-cache").exists()
            || std::fs::read_dir(tmp.path().join("data-cache"))
                .unwrap()
                .next()
                .is_none()
    );

    let retried = prepare(&config, &model, &conv, &online, "train").unwrap();
    assert_eq!(
        (retried.cache, retried.split.len()),
        (CacheUse::Rebuilt, 48)
    );
}

fn data_cli(tmp: &Path, server: &DatasetHub, offline: bool, args: &[&str]) -> std::process::Output {
    Command::new(support::host_binary())
        .current_dir(support::repo_root())
        .env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", tmp.join("hf-home"))
        .env_remove("HF_HUB_CACHE")
        .env_remove("HUGGINGFACE_HUB_CACHE")
        .env_remove("HF_TOKEN")
        .env("HF_HUB_OFFLINE", if offline { "1" } else { "0" })
        .env("XDG_CACHE_HOME", tmp.join("xdg"))
        .arg("data")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_cli_honours_hf_endpoint_hf_home_and_offline_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let server = DatasetHub::start();
    serve(&server, tmp.path(), |id| id == "train");
    let model = tiny_model(tmp.path());
    let model = model.to_str().unwrap();
    let args = ["inspect", "--json", "--split", "train", "--model", model];

    let out = data_cli(tmp.path(), &server, false, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["examples"], 48);
    assert_eq!(report["positive_fraction"], 0.5);
    assert!(tmp
        .path()
        .join("hf-home/hub/datasets--tau--commonsense_qa")
        .is_dir());
    assert!(
        tmp.path()
            .join("xdg/clora-host/data")
            .read_dir()
            .unwrap()
            .count()
            >= 2
    );

    let requests = server.requests();
    let out = data_cli(tmp.path(), &server, true, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        report
    );
    assert_eq!(server.requests(), requests);

    let out = data_cli(
        tmp.path(),
        &server,
        true,
        &["inspect", "--split", "validation", "--model", model],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HF_HUB_OFFLINE")
            && stderr.contains("data/validation-00000-of-00001.parquet"),
        "{stderr}"
    );
    assert_eq!(server.requests(), requests);
}

#[test]
fn a_pattern_reads_every_matching_shard_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let server = DatasetHub::start();
    let rows = synthetic::rows(Dataset::CommonsenseQa, Schema::Hub, 10, 4, "train");
    for (shard, part) in rows.chunks(6).enumerate() {
        let path = tmp.path().join(format!("shard{shard}.parquet"));
        write_parquet(&path, part);
        let name = format!("data/train-0000{shard}-of-00002.parquet");
        server.put("tau/commonsense_qa", &name, std::fs::read(path).unwrap());
    }
    server.put(
        "tau/commonsense_qa",
        "data/test-00000-of-00001.parquet",
        b"not parquet".to_vec(),
    );
    let mut config = default_config(&tmp.path().join("data-cache"));
    config.train.hub.files = vec!["data/train-*.parquet".into()];
    let model = tiny_model(tmp.path());
    let online = hub(&server, &tmp.path().join("hf"), false);
    let split = prepare(&config, &model, &converters(42), &online, "train")
        .unwrap()
        .split;
    assert_eq!(split.meta.files.len(), 2);
    assert!(split.meta.files[0].ends_with("data/train-00000-of-00002.parquet"));
    assert_eq!((split.meta.rows_read, split.len()), (10, 20));
    assert_eq!(*split.source_rows.last().unwrap(), 9);

    config.validation.hub.files = vec!["data/valid-*.parquet".into()];
    let err = prepare(&config, &model, &converters(42), &online, "validation")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no file of dataset `tau/commonsense_qa` (revision main) matches `data/valid-*.parquet` (3 files listed)"), "{err}");
}
