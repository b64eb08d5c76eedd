//! Small synthetic datasets in each dataset's original schema (and the Hub's schema, for
//! tests), generated from a seed, for the offline demo and the tests.
//!
//! The signal is learnable: every question names a concept from [`CONCEPTS`], and the
//! correct answer is that concept's fixed place. A wrong choice is another concept's
//! place or a place no concept has ([`DISTRACTORS`]), half and half, so "is this a
//! concept's place" alone is right 3/4 of the time and the full pairing is right always.
//! ARC, HellaSwag and BoolQ use the same pairing, so a model trained on the synthetic
//! CommonsenseQA transfers to them. Texts stay under 100 bytes.
//!
//! [`write_demo_dataset`] writes the files under the names `configs/local.toml` uses
//! ([`DEMO_FILES`]), so a demo runs with `--config configs/local.toml --set
//! data.root=<dir>`.
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::rng::SplitMix64;
use super::DataError;

/// (concept, the place it belongs to).
pub const CONCEPTS: [(&str, &str); 16] = [
    ("fish", "river"),
    ("bird", "nest"),
    ("cow", "farm"),
    ("book", "library"),
    ("bread", "bakery"),
    ("car", "garage"),
    ("money", "bank"),
    ("rose", "garden"),
    ("doctor", "hospital"),
    ("student", "school"),
    ("star", "sky"),
    ("ship", "harbor"),
    ("bee", "hive"),
    ("coat", "closet"),
    ("milk", "fridge"),
    ("train", "station"),
];

/// Places that belong to no concept.
pub const DISTRACTORS: [&str; 12] = [
    "moon", "desk", "shoe", "cloud", "road", "table", "window", "basket", "forest", "attic",
    "kitchen", "park",
];

/// The datasets this module imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    CommonsenseQa,
    BoolQ,
    Arc,
    HellaSwag,
}

/// The original release's layout, or the Hugging Face Hub parquet's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Original,
    Hub,
}

/// Rows per file of [`write_demo_dataset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSizes {
    pub train: usize,
    pub validation: usize,
    pub boolq: usize,
    pub arc: usize,
    pub hellaswag: usize,
}

impl Default for DemoSizes {
    fn default() -> Self {
        DemoSizes {
            train: 2000,
            validation: 300,
            boolq: 200,
            arc: 200,
            hellaswag: 200,
        }
    }
}

/// The demo files, relative to the data root, as `configs/local.toml` names them.
pub const DEMO_FILES: [&str; 5] = [
    "commonsense_qa/train_rand_split.jsonl",
    "commonsense_qa/dev_rand_split.jsonl",
    "boolq/dev.jsonl",
    "ai2_arc/ARC-Challenge-Dev.jsonl",
    "hellaswag/hellaswag_val.jsonl.gz",
];

/// One concept question: the concept, the correct place and the wrong places.
struct Question {
    concept: &'static str,
    answer: &'static str,
    wrong: Vec<&'static str>,
}

fn question(rng: &mut SplitMix64, wrong_count: usize) -> Question {
    let (concept, answer) = *rng.pick(&CONCEPTS);
    let mut wrong: Vec<&'static str> = Vec::with_capacity(wrong_count);
    while wrong.len() < wrong_count {
        let candidate = if rng.below(2) == 0 {
            rng.pick(&CONCEPTS).1
        } else {
            *rng.pick(&DISTRACTORS)
        };
        if candidate != answer && !wrong.contains(&candidate) {
            wrong.push(candidate);
        }
    }
    Question {
        concept,
        answer,
        wrong,
    }
}

/// The choices with the correct one at a random position; returns (texts, gold index).
fn shuffled_choices(rng: &mut SplitMix64, q: &Question) -> (Vec<&'static str>, usize) {
    let mut choices = q.wrong.clone();
    let gold = rng.below(choices.len() as u64 + 1) as usize;
    choices.insert(gold, q.answer);
    (choices, gold)
}

const CSQA_STEMS: [&str; 4] = [
    "Where would you usually find a {c}?",
    "Where does a {c} belong?",
    "A {c} is most often found where?",
    "Where might you see a {c}?",
];

fn stem(rng: &mut SplitMix64, templates: &[&str], concept: &str) -> String {
    rng.pick(templates).replace("{c}", concept)
}

fn commonsense_qa(rng: &mut SplitMix64, i: usize, tag: &str, schema: Schema) -> Value {
    let q = question(rng, 4);
    let (choices, gold) = shuffled_choices(rng, &q);
    let labels: Vec<String> = (0..choices.len()).map(|k| letter(k, false)).collect();
    let stem = stem(rng, &CSQA_STEMS, q.concept);
    let id = format!("syn-csqa-{tag}-{i:06}");
    match schema {
        Schema::Original => json!({
            "answerKey": labels[gold],
            "id": id,
            "question": {
                "question_concept": q.concept,
                "choices": labels.iter().zip(&choices)
                    .map(|(l, t)| json!({"label": l, "text": t})).collect::<Vec<_>>(),
                "stem": stem,
            },
        }),
        Schema::Hub => json!({
            "id": id,
            "question": stem,
            "question_concept": q.concept,
            "choices": {"label": labels, "text": choices},
            "answerKey": labels[gold],
        }),
    }
}

/// "A".."E", or "1".."5" when `numeric` (as some ARC questions are labelled).
fn letter(k: usize, numeric: bool) -> String {
    if numeric {
        (k + 1).to_string()
    } else {
        char::from(b'A' + k as u8).to_string()
    }
}

fn arc(rng: &mut SplitMix64, i: usize, tag: &str, schema: Schema) -> Value {
    let q = question(rng, 3);
    let (choices, gold) = shuffled_choices(rng, &q);
    let numeric = i % 7 == 3;
    let labels: Vec<String> = (0..choices.len()).map(|k| letter(k, numeric)).collect();
    let stem = format!("Which place is the natural home of a {}?", q.concept);
    let id = format!("Synthetic_{tag}_{i:06}");
    match schema {
        Schema::Original => json!({
            "id": id,
            "question": {
                "stem": stem,
                "choices": labels.iter().zip(&choices)
                    .map(|(l, t)| json!({"text": t, "label": l})).collect::<Vec<_>>(),
            },
            "answerKey": labels[gold],
        }),
        Schema::Hub => json!({
            "id": id,
            "question": stem,
            "choices": {"text": choices, "label": labels},
            "answerKey": labels[gold],
        }),
    }
}

fn boolq(rng: &mut SplitMix64, schema: Schema) -> Value {
    let q = question(rng, 1);
    let answer = rng.below(2) == 0;
    let place = if answer { q.answer } else { q.wrong[0] };
    let question = format!("is a {} found in the {place}", q.concept);
    let passage = format!("A {} is found in the {}.", q.concept, q.answer);
    match schema {
        Schema::Original => json!({
            "question": question,
            "title": capitalize(q.concept),
            "answer": answer,
            "passage": passage,
        }),
        Schema::Hub => json!({"question": question, "answer": answer, "passage": passage}),
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn hellaswag(rng: &mut SplitMix64, i: usize, tag: &str, schema: Schema) -> Value {
    let q = question(rng, 3);
    let (places, gold) = shuffled_choices(rng, &q);
    let endings: Vec<String> = places.iter().map(|p| format!("go to the {p}.")).collect();
    let ctx_a = format!("A person looks for a {}.", q.concept);
    let ctx_b = "they";
    let label = match schema {
        Schema::Original => json!(gold),
        Schema::Hub => json!(gold.to_string()),
    };
    json!({
        "ind": i,
        "activity_label": "Finding things",
        "ctx_a": ctx_a,
        "ctx_b": ctx_b,
        "ctx": format!("{ctx_a} {ctx_b}"),
        "split": tag,
        "split_type": "indomain",
        "label": label,
        "endings": endings,
        "source_id": format!("synthetic~{tag}~{i}"),
    })
}

/// `n` rows of `dataset` in `schema`. `tag` names the split ("train", "val"…) and, with
/// `seed`, selects the random stream, so different splits never repeat each other.
pub fn rows(dataset: Dataset, schema: Schema, n: usize, seed: u64, tag: &str) -> Vec<Value> {
    let stream = tag.bytes().fold(dataset as u64 + 1, |h, b| {
        h.wrapping_mul(131).wrapping_add(u64::from(b))
    });
    let mut rng = SplitMix64::derive(seed, stream);
    (0..n)
        .map(|i| match dataset {
            Dataset::CommonsenseQa => commonsense_qa(&mut rng, i, tag, schema),
            Dataset::BoolQ => boolq(&mut rng, schema),
            Dataset::Arc => arc(&mut rng, i, tag, schema),
            Dataset::HellaSwag => hellaswag(&mut rng, i, tag, schema),
        })
        .collect()
}

/// Writes rows as JSON lines, gzip-compressed when the name ends in `.gz`.
pub fn write_jsonl(path: &Path, rows: &[Value]) -> Result<(), DataError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(DataError::io(dir))?;
    }
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.to_string());
        text.push('\n');
    }
    let file = std::fs::File::create(path).map_err(DataError::io(path))?;
    let result = if path.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        gz.write_all(text.as_bytes())
            .and_then(|()| gz.finish().map(drop))
    } else {
        let mut file = file;
        file.write_all(text.as_bytes())
    };
    result.map_err(DataError::io(path))
}

/// Writes the demo dataset under `dir` ([`DEMO_FILES`], original schemas) and returns the
/// paths written.
pub fn write_demo_dataset(
    dir: &Path,
    seed: u64,
    sizes: DemoSizes,
) -> Result<Vec<PathBuf>, DataError> {
    let plan = [
        (Dataset::CommonsenseQa, sizes.train, "train"),
        (Dataset::CommonsenseQa, sizes.validation, "dev"),
        (Dataset::BoolQ, sizes.boolq, "dev"),
        (Dataset::Arc, sizes.arc, "dev"),
        (Dataset::HellaSwag, sizes.hellaswag, "val"),
    ];
    let mut written = Vec::with_capacity(plan.len());
    for ((dataset, n, tag), relative) in plan.into_iter().zip(DEMO_FILES) {
        let path = dir.join(relative);
        write_jsonl(&path, &rows(dataset, Schema::Original, n, seed, tag))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place_of(concept: &str) -> &'static str {
        CONCEPTS.iter().find(|(c, _)| *c == concept).unwrap().1
    }

    #[test]
    fn csqa_rows_follow_the_rule_in_both_schemas() {
        let original = rows(Dataset::CommonsenseQa, Schema::Original, 200, 5, "train");
        for row in &original {
            let q = &row["question"];
            let key = row["answerKey"].as_str().unwrap();
            let choices = q["choices"].as_array().unwrap();
            assert_eq!(choices.len(), 5);
            let gold = choices.iter().find(|c| c["label"] == key).unwrap();
            assert_eq!(
                gold["text"],
                place_of(q["question_concept"].as_str().unwrap())
            );
            assert!(q["stem"].as_str().unwrap().len() < 60);
        }
        let hub = rows(Dataset::CommonsenseQa, Schema::Hub, 200, 5, "train");
        assert_eq!(hub[7]["question"], original[7]["question"]["stem"]);
        assert_eq!(
            hub[7]["choices"]["text"][0],
            original[7]["question"]["choices"][0]["text"]
        );
        assert_eq!(
            rows(Dataset::CommonsenseQa, Schema::Hub, 200, 5, "train"),
            hub
        );
        assert_ne!(
            rows(Dataset::CommonsenseQa, Schema::Hub, 200, 5, "dev"),
            hub
        );
        assert_ne!(
            rows(Dataset::CommonsenseQa, Schema::Hub, 200, 6, "train"),
            hub
        );
    }

    #[test]
    fn other_datasets_use_the_same_pairing() {
        for row in rows(Dataset::HellaSwag, Schema::Original, 50, 1, "val") {
            let concept = row["ctx_a"]
                .as_str()
                .unwrap()
                .split(' ')
                .nth(5)
                .unwrap()
                .trim_end_matches('.');
            let gold = row["label"].as_u64().unwrap() as usize;
            assert_eq!(
                row["endings"][gold],
                format!("go to the {}.", place_of(concept))
            );
        }
        let hub = rows(Dataset::HellaSwag, Schema::Hub, 3, 1, "val");
        assert!(hub[0]["label"].is_string());
        let bool_rows = rows(Dataset::BoolQ, Schema::Original, 400, 1, "dev");
        let trues = bool_rows.iter().filter(|r| r["answer"] == true).count();
        assert!((150..250).contains(&trues), "{trues}");
        for row in &bool_rows {
            let q = row["question"].as_str().unwrap();
            let concept = q.split(' ').nth(2).unwrap();
            assert_eq!(q.ends_with(place_of(concept)), row["answer"] == true, "{q}");
        }
        let arc_rows = rows(Dataset::Arc, Schema::Original, 14, 1, "dev");
        assert_eq!(arc_rows[3]["question"]["choices"][0]["label"], "1");
        assert_eq!(arc_rows[4]["question"]["choices"][0]["label"], "A");
    }

    #[test]
    fn the_demo_dataset_has_the_local_toml_layout() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = DemoSizes {
            train: 10,
            validation: 4,
            boolq: 3,
            arc: 2,
            hellaswag: 5,
        };
        let written = write_demo_dataset(dir.path(), 1, sizes).unwrap();
        let expected: Vec<PathBuf> = DEMO_FILES.iter().map(|f| dir.path().join(f)).collect();
        assert_eq!(written, expected);
        let train = std::fs::read_to_string(&written[0]).unwrap();
        assert_eq!(train.lines().count(), 10);
        assert!(train.lines().all(|l| l.len() < 400));
        let gz = std::fs::read(&written[4]).unwrap();
        assert_eq!(&gz[..2], [0x1f, 0x8b]);
    }
}
