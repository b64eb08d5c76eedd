//! Batches of a prepared split: every example once per epoch, a plan that depends only on
//! (seed, epoch), exact resumption, and padding that keeps each example's ids.
use clora_host::data::synthetic::{self, Dataset, Schema};
use clora_host::data::{BatchOptions, BatchPosition, Batcher, DataConfig};

use super::common::{converters, local_split, prepare, tiny_model, NoHub};

#[test]
fn a_prepared_split_batches_deterministically_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = synthetic::rows(Dataset::HellaSwag, Schema::Original, 60, 11, "val");
    synthetic::write_jsonl(&tmp.path().join("root/h.jsonl.gz"), &rows).unwrap();
    let config = DataConfig {
        root: tmp.path().join("root"),
        cache_dir: tmp.path().join("cache"),
        train: local_split("hellaswag", &["h.jsonl.gz"]),
        bucket_by_length: true,
        ..DataConfig::default()
    };
    let model = tiny_model(tmp.path());
    let split = prepare(&config, &model, &converters(1), &NoHub, "train")
        .unwrap()
        .split;
    assert_eq!(split.len(), 120);

    let options = BatchOptions::train(16, 99, config.bucket_by_length);
    let a = Batcher::new(&split, options.clone()).unwrap();
    let b = Batcher::new(&split, options).unwrap();
    assert_eq!(a.batches_per_epoch(), 8);
    for epoch in 0..3 {
        let plan = a.epoch_plan(epoch);
        assert_eq!(plan, b.epoch_plan(epoch));
        let mut seen: Vec<usize> = plan.concat();
        seen.sort_unstable();
        assert_eq!(seen, (0..120).collect::<Vec<_>>());
    }
    assert_ne!(a.epoch_plan(0), a.epoch_plan(1));

    let all: Vec<_> = a.iter_from(BatchPosition { epoch: 2, batch: 0 }).collect();
    let resumed: Vec<_> = a.iter_from(all[4].0).collect();
    assert_eq!(resumed, all[5..]);
    for (_, batch) in &all {
        for (row, &i) in batch.indices.iter().enumerate() {
            let ids: Vec<i64> = split.ids(i).iter().map(|&t| i64::from(t)).collect();
            let start = row * batch.seq_len;
            assert_eq!(batch.input_ids[start..start + ids.len()], ids[..]);
            assert!(batch.input_ids[start + ids.len()..start + batch.seq_len]
                .iter()
                .all(|&t| t == 256));
            assert_eq!(
                batch.attention_mask[start..start + batch.seq_len]
                    .iter()
                    .sum::<i64>(),
                ids.len() as i64
            );
            assert_eq!(batch.labels[row], i64::from(split.labels[i]));
        }
    }
}
