//! Every source format and schema through the built-in preprocessors: the original JSONL
//! releases (HellaSwag gzipped) in configs/local.toml's layout, and the Hub's parquet
//! schema, which must give exactly the same examples.
use clora_host::data::source::RowReader;
use clora_host::data::synthetic::{self, Dataset, DemoSizes, Schema};
use clora_host::data::{CacheUse, DataConfig, SplitStats};
use serde_json::Value;

use super::common::{
    converters, local_split, local_toml_config, prepare, tiny_model, write_parquet, NoHub,
};

#[test]
fn demo_files_in_the_original_schemas_become_balanced_binary_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = DemoSizes {
        train: 40,
        validation: 10,
        boolq: 12,
        arc: 9,
        hellaswag: 8,
    };
    synthetic::write_demo_dataset(&tmp.path().join("root"), 7, sizes).unwrap();
    let config = local_toml_config(&tmp.path().join("root"), &tmp.path().join("cache"));
    let model = tiny_model(tmp.path());
    let conv = converters(42);
    let expected = [
        ("train", 80),
        ("validation", 20),
        ("test.arc_challenge", 18),
        ("test.boolq", 12),
        ("test.hellaswag", 16),
    ];
    for (id, examples) in expected {
        let prepared = prepare(&config, &model, &conv, &NoHub, id).unwrap();
        assert_eq!(prepared.cache, CacheUse::Rebuilt, "{id}");
        let stats = SplitStats::of(&prepared.split);
        assert_eq!(stats.examples, examples, "{id}");
        assert_eq!(stats.rows_skipped, 0, "{id}");
        if id != "test.boolq" {
            assert_eq!(stats.positive_fraction, 0.5, "{id}");
        }
        // Byte-level tokenizer: every text is short, nothing is truncated at 256.
        assert!(
            stats.length_max < 110 && stats.truncated == 0,
            "{id}: {stats:?}"
        );
    }

    // The first CSQA row's positive example is "Question: <stem> Answer: <gold>".
    let row: Value = serde_json::from_str(
        std::fs::read_to_string(
            tmp.path()
                .join("root/commonsense_qa/train_rand_split.jsonl"),
        )
        .unwrap()
        .lines()
        .next()
        .unwrap(),
    )
    .unwrap();
    let gold = row["question"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == row["answerKey"])
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    let text = format!(
        "Question: {} Answer: {gold}",
        row["question"]["stem"].as_str().unwrap()
    );
    let train = prepare(&config, &model, &conv, &NoHub, "train")
        .unwrap()
        .split;
    assert_eq!(train.source_rows[..2], [0, 0]);
    let first: Vec<(Vec<u32>, u32)> = (0..2)
        .map(|i| (train.ids(i).to_vec(), train.labels[i]))
        .collect();
    let tokenizer = clora_host::model::load_tokenizer(&model).unwrap();
    let ids = tokenizer
        .encode(text.as_str(), true)
        .unwrap()
        .get_ids()
        .to_vec();
    assert!(first.contains(&(ids, 1)), "no positive example {text:?}");
}

/// Prepares `original` (as JSONL) and `hub` (as parquet) rows of `dataset` and checks
/// that they give the same examples.
fn same_examples(dataset: Dataset, plugin: &str, n: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let original = synthetic::rows(dataset, Schema::Original, n, 3, "dev");
    let hub = synthetic::rows(dataset, Schema::Hub, n, 3, "dev");
    synthetic::write_jsonl(&root.join("original.jsonl"), &original).unwrap();
    write_parquet(&root.join("hub.parquet"), &hub);
    let config = DataConfig {
        root: root.clone(),
        cache_dir: tmp.path().join("cache"),
        train: local_split(plugin, &["original.jsonl"]),
        validation: local_split(plugin, &["hub.parquet"]),
        test: Default::default(),
        ..DataConfig::default()
    };
    let model = tiny_model(tmp.path());
    let conv = converters(5);
    let from_jsonl = prepare(&config, &model, &conv, &NoHub, "train")
        .unwrap()
        .split;
    let from_parquet = prepare(&config, &model, &conv, &NoHub, "validation")
        .unwrap()
        .split;
    assert!(from_jsonl.len() >= n, "{plugin}");
    assert_eq!(from_jsonl.labels, from_parquet.labels, "{plugin}");
    assert_eq!(from_jsonl.tokens, from_parquet.tokens, "{plugin}");
    assert_eq!(from_jsonl.offsets, from_parquet.offsets, "{plugin}");
    assert_eq!(from_parquet.meta.rows_read, n as u64);
}

#[test]
fn hub_parquet_rows_give_the_same_examples_as_the_original_jsonl() {
    same_examples(Dataset::CommonsenseQa, "commonsense-qa", 30);
    same_examples(Dataset::Arc, "arc", 21);
    same_examples(Dataset::BoolQ, "boolq", 15);
    same_examples(Dataset::HellaSwag, "hellaswag", 12);
}

#[test]
fn parquet_rows_read_back_as_the_json_objects_written() {
    let tmp = tempfile::tempdir().unwrap();
    let rows: Vec<Value> = vec![
        serde_json::json!({
            "id": "a", "n": 3, "x": 0.25, "ok": true, "maybe": null,
            "choices": {"label": ["A", "B"], "text": ["one", "two"]},
            "items": [{"k": 1, "v": "p"}, {"k": 2, "v": "q"}],
            "nested": {"inner": {"deep": [1, 2, 3]}},
        }),
        serde_json::json!({
            "id": "b", "n": -7, "x": 1e10, "ok": false, "maybe": "set",
            "choices": {"label": [], "text": []},
            "items": [],
            "nested": {"inner": {"deep": []}},
        }),
    ];
    let path = tmp.path().join("rows.parquet");
    write_parquet(&path, &rows);
    let mut reader = RowReader::open(std::slice::from_ref(&path), 0).unwrap();
    let mut read = Vec::new();
    while let Some(row) = reader.next_row().unwrap() {
        read.push((
            row.location.to_string(),
            serde_json::from_str::<Value>(&row.record.unwrap()).unwrap(),
        ));
    }
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[0],
        (format!("{}:row 0", path.display()), rows[0].clone())
    );
    assert_eq!(
        read[1],
        (format!("{}:row 1", path.display()), rows[1].clone())
    );
}
