//! The four dataset preprocessors on synthetic fixtures written into a tempdir in both
//! schemas: the original JSONL release, and the Hugging Face Hub parquet layout (written
//! by tests/python/jsonl_to_parquet.py with pyarrow, read back through the host's
//! `RowReader`, which turns parquet rows into JSON objects). Checked: exact texts and
//! labels, identical output for both schemas, determinism given the seed, independence
//! from batch boundaries, and per-row errors by message.
use std::path::{Path, PathBuf};
use std::process::Command;

use clora_host::data::source::RowReader;
use clora_host::plugin::{Example, PreprocessorPlugin};
use serde_json::{json, Value};

use super::{params, runtime, wasm};
use crate::support;

type Converted = Vec<Result<Vec<Example>, String>>;

fn load(name: &str, toml: &str) -> PreprocessorPlugin {
    let (rt, _) = runtime();
    rt.load_preprocessor(&wasm(name), &params(toml))
        .unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

fn write_jsonl(dir: &Path, name: &str, rows: &[Value]) -> PathBuf {
    let path = dir.join(format!("{name}.jsonl"));
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// The rows as a Hub-style parquet file (struct and list columns inferred by pyarrow).
fn write_parquet(dir: &Path, name: &str, rows: &[Value]) -> PathBuf {
    let jsonl = write_jsonl(dir, &format!("{name}.hub"), rows);
    let parquet = dir.join(format!("{name}.parquet"));
    let script = support::repo_root().join("tests/python/jsonl_to_parquet.py");
    let status = Command::new(support::venv_python())
        .arg(script)
        .arg(&jsonl)
        .arg(&parquet)
        .status()
        .expect("python");
    assert!(status.success(), "jsonl_to_parquet.py failed");
    parquet
}

/// Every row of a source file as JSON text, as the host hands them to a preprocessor.
fn read_rows(path: &Path) -> Vec<String> {
    let mut reader = RowReader::open(&[path.to_path_buf()], 0).expect("open rows");
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().expect("read row") {
        rows.push(row.record.expect("row text"));
    }
    rows
}

/// Converts `rows` in batches of `batch`, each with its true first row index.
fn convert(plugin: &mut PreprocessorPlugin, rows: &[String], batch: usize) -> Converted {
    let mut out = Vec::new();
    for (i, chunk) in rows.chunks(batch).enumerate() {
        out.extend(
            plugin
                .process_batch((i * batch) as u64, chunk)
                .expect("process_batch"),
        );
    }
    out
}

/// Both schemas through the plugin: identical output whatever the schema or batching,
/// the same again for the same seed. Returns the output.
fn convert_both_schemas(name: &str, toml: &str, original: &[Value], hub: &[Value]) -> Converted {
    let dir = tempfile::tempdir().expect("tempdir");
    let original_rows = read_rows(&write_jsonl(dir.path(), name, original));
    let hub_rows = read_rows(&write_parquet(dir.path(), name, hub));
    let mut plugin = load(name, toml);
    let whole = convert(&mut plugin, &original_rows, original_rows.len());
    for batch in [1, 3] {
        assert_eq!(
            convert(&mut plugin, &original_rows, batch),
            whole,
            "{name}: batches of {batch} differ"
        );
    }
    assert_eq!(
        convert(&mut plugin, &hub_rows, 2),
        whole,
        "{name}: the Hub schema gives other examples"
    );
    assert_eq!(
        convert(&mut load(name, toml), &original_rows, 4),
        whole,
        "{name}: not deterministic"
    );
    whole
}

fn ok(results: &Converted) -> Vec<&Vec<Example>> {
    results
        .iter()
        .map(|r| {
            r.as_ref()
                .unwrap_or_else(|e| panic!("unexpected row error: {e}"))
        })
        .collect()
}

fn ex(text: &str, label: u32) -> Example {
    Example {
        text: text.to_string(),
        label,
    }
}

/// The error messages of `rows` (each must be rejected).
fn errors(name: &str, rows: &[&str]) -> Vec<String> {
    let rows: Vec<String> = rows.iter().map(|s| s.to_string()).collect();
    let mut plugin = load(name, "");
    plugin
        .process_batch(0, &rows)
        .expect("process_batch")
        .into_iter()
        .map(|r| r.expect_err("row must be rejected"))
        .collect()
}

// --- multiple choice (CommonsenseQA, ARC) --------------------------------------------

/// A question in the original layout (`question.stem`, `question.choices`) and the Hub's.
fn mc_rows(stem: &str, labels: &[&str], texts: &[&str], key: &str) -> (Value, Value) {
    let choices: Vec<Value> = labels
        .iter()
        .zip(texts)
        .map(|(l, t)| json!({"label": l, "text": t}))
        .collect();
    let original = json!({"answerKey": key, "id": stem, "question": {"question_concept": "c", "choices": choices, "stem": stem}});
    let hub = json!({"id": stem, "question": stem, "question_concept": "c", "choices": {"label": labels, "text": texts}, "answerKey": key});
    (original, hub)
}

/// One question's expected conversion.
struct Expected {
    question: String,
    /// The texts of the wrong options.
    wrong: Vec<String>,
    correct: String,
}

/// The same questions in both layouts, with what each must become.
struct McFixture {
    original: Vec<Value>,
    hub: Vec<Value>,
    expected: Vec<Expected>,
}

/// 12 questions with varied keys, then a two-choice one (its wrong answer is forced).
fn mc_fixture(labels: &[&str]) -> McFixture {
    let mut fixture = McFixture {
        original: vec![],
        hub: vec![],
        expected: vec![],
    };
    let mut push = |question: String, labels: &[&str], texts: &[&str], answer: usize| {
        let (o, h) = mc_rows(&question, labels, texts, labels[answer]);
        fixture.original.push(o);
        fixture.hub.push(h);
        let wrong = texts
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != answer)
            .map(|(_, t)| t.to_string())
            .collect();
        fixture.expected.push(Expected {
            question,
            wrong,
            correct: texts[answer].to_string(),
        });
    };
    for i in 0..12 {
        let texts: Vec<String> = labels.iter().map(|l| format!("answer {i}{l}")).collect();
        let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        push(
            format!("Question {i}?"),
            labels,
            &text_refs,
            i % labels.len(),
        );
    }
    push("Two options?".into(), &labels[..2], &["yes", "no"], 1);
    fixture
}

/// "question + correct" → 1, then "question + one wrong answer" → 0, per question; the
/// wrong answers vary with the seed and are not always the same option.
fn check_multiple_choice(name: &str, labels: &[&str]) {
    let McFixture {
        original,
        hub,
        expected,
    } = mc_fixture(labels);
    let out = convert_both_schemas(name, "", &original, &hub);
    let mut wrong_positions = std::collections::BTreeSet::new();
    for (examples, want) in ok(&out).into_iter().zip(&expected) {
        let prefix = format!("Question: {} Answer: ", want.question);
        assert_eq!(examples.len(), 2);
        assert_eq!(examples[0], ex(&format!("{prefix}{}", want.correct), 1));
        let negative = examples[1].text.strip_prefix(&prefix).expect("template");
        assert_eq!(examples[1].label, 0);
        let position = want.wrong.iter().position(|w| w == negative);
        wrong_positions
            .insert(position.unwrap_or_else(|| panic!("{negative:?} is not a wrong answer")));
    }
    assert!(
        wrong_positions.len() >= 3,
        "{name}: wrong answers always at {wrong_positions:?}"
    );
    let reseeded = convert_both_schemas(name, "seed = 7", &original, &hub);
    assert_ne!(
        reseeded, out,
        "{name}: the seed does not change the wrong answers"
    );
    let custom = convert_both_schemas(
        name,
        "template = \"Q={question} A={answer} {{x}}\"",
        &original[12..],
        &hub[12..],
    );
    assert_eq!(
        ok(&custom)[0],
        &vec![
            ex("Q=Two options? A=no {x}", 1),
            ex("Q=Two options? A=yes {x}", 0)
        ]
    );
}

#[test]
fn commonsense_qa_converts_both_schemas() {
    check_multiple_choice("commonsense-qa", &["A", "B", "C", "D", "E"]);
}

#[test]
fn arc_converts_both_schemas_with_letter_and_number_labels() {
    check_multiple_choice("arc", &["A", "B", "C", "D"]);
    check_multiple_choice("arc", &["1", "2", "3", "4"]);
}

#[test]
fn multiple_choice_rows_are_rejected_with_precise_messages() {
    let csqa = errors(
        "commonsense-qa",
        &[
            r#"{"answerKey":"A","question":{"choices":[{"label":"A","text":"x"},{"label":"B","text":"y"}]}}"#,
            r#"{"answerKey":"F","question":{"stem":"Q","choices":[{"label":"A","text":"x"},{"label":"B","text":"y"}]}}"#,
            r#"{"id":"t","question":{"stem":"Q","choices":[{"label":"A","text":"x"},{"label":"B","text":"y"}]}}"#,
            r#"{"answerKey": "A", "question": "#,
            r#"{"question":"Q","choices":{"label":["A","B"],"text":["x"]},"answerKey":"A"}"#,
            r#"{"question":"Q","choices":{"label":["A","B"],"text":["x","y"]},"answerKey":""}"#,
        ],
    );
    assert_eq!(csqa[0], "missing field `question.stem`");
    assert_eq!(
        csqa[1],
        "answerKey \"F\" is not one of the choice labels A, B"
    );
    assert_eq!(csqa[2], "missing field `answerKey`");
    assert!(
        csqa[3].starts_with("invalid JSON: EOF while parsing"),
        "{}",
        csqa[3]
    );
    assert_eq!(
        csqa[4],
        "field `choices.label` has 2 entries but `choices.text` has 1"
    );
    assert_eq!(csqa[5], "field `answerKey` is empty (an unlabelled split?)");
    let arc = errors(
        "arc",
        &[
            r#"{"id":"x","question":{"stem":"Q","choices":[{"text":"x","label":"A"}]},"answerKey":"A"}"#,
            "[1, 2]",
        ],
    );
    assert_eq!(
        arc[0],
        "field `question.choices` needs at least 2 choices, got 1"
    );
    assert_eq!(arc[1], "a record must be a JSON object, got an array");
}

#[test]
fn a_bad_row_does_not_disturb_its_neighbours() {
    let fixture = mc_fixture(&["A", "B", "C", "D", "E"]);
    let mut rows: Vec<String> = fixture.original.iter().map(Value::to_string).collect();
    let good = convert(&mut load("commonsense-qa", ""), &rows, rows.len());
    rows[4] = "not json".into();
    let mixed = convert(&mut load("commonsense-qa", ""), &rows, rows.len());
    for (i, (m, g)) in mixed.iter().zip(&good).enumerate() {
        if i == 4 {
            assert!(m.as_ref().unwrap_err().starts_with("invalid JSON"));
        } else {
            assert_eq!(m, g, "row {i}");
        }
    }
}

#[test]
fn a_template_with_an_unknown_placeholder_is_refused_at_init() {
    let (rt, _) = runtime();
    let err = rt
        .load_preprocessor(
            &wasm("commonsense-qa"),
            &params("template = \"{question} {choices}\""),
        )
        .err()
        .expect("init must fail")
        .to_string();
    assert!(
        err.contains("unknown placeholder {choices} (known: {question}, {answer})"),
        "{err}"
    );
}

// --- BoolQ ---------------------------------------------------------------------------

#[test]
fn boolq_converts_both_schemas() {
    let rows = [
        ("is the sky blue", "The sky is blue.", true),
        ("do fish fly", "Fish swim.", false),
    ];
    let original: Vec<Value> = rows
        .iter()
        .map(|(q, p, a)| json!({"question": q, "title": "T", "answer": a, "passage": p}))
        .collect();
    let hub: Vec<Value> = rows
        .iter()
        .map(|(q, p, a)| json!({"question": q, "answer": a, "passage": p}))
        .collect();
    let out = convert_both_schemas("boolq", "", &original, &hub);
    assert_eq!(
        ok(&out),
        [
            &vec![ex(
                "Passage: The sky is blue. Question: is the sky blue?",
                1
            )],
            &vec![ex("Passage: Fish swim. Question: do fish fly?", 0)],
        ]
    );
    let custom = convert_both_schemas(
        "boolq",
        "template = \"{question}|{passage}\"",
        &original,
        &hub,
    );
    assert_eq!(ok(&custom)[1], &vec![ex("do fish fly|Fish swim.", 0)]);
    let errs = errors(
        "boolq",
        &[
            r#"{"question":"q","passage":"p","answer":"yes"}"#,
            r#"{"question":"q","answer":true}"#,
        ],
    );
    assert_eq!(
        errs,
        [
            "field `answer` must be a boolean, got a string",
            "missing field `passage`"
        ]
    );
}

// --- HellaSwag -----------------------------------------------------------------------

#[test]
fn hellaswag_converts_both_schemas() {
    let (mut original, mut hub, mut gold) = (vec![], vec![], vec![]);
    for i in 0..12usize {
        let endings: Vec<String> = (0..4).map(|e| format!("ending {i}.{e}")).collect();
        let label = i % 4;
        let row = |label: Value| {
            json!({"ind": i, "activity_label": "Act", "ctx_a": format!("Context {i}."), "ctx_b": "then",
                   "ctx": format!("Context {i}. then"), "split": "val", "split_type": "indomain",
                   "label": label, "endings": endings, "source_id": "s"})
        };
        original.push(row(json!(label)));
        hub.push(row(json!(label.to_string())));
        gold.push((format!("Context {i}. then"), endings.clone(), label));
    }
    let out = convert_both_schemas("hellaswag", "", &original, &hub);
    let mut wrong_positions = std::collections::BTreeSet::new();
    for (examples, (context, endings, label)) in ok(&out).into_iter().zip(&gold) {
        assert_eq!(
            examples[0],
            ex(
                &format!("Context: {context} Ending: {}", endings[*label]),
                1
            )
        );
        let negative = examples[1]
            .text
            .strip_prefix(&format!("Context: {context} Ending: "))
            .expect("template");
        let position = endings
            .iter()
            .position(|e| e == negative)
            .expect("one of the endings");
        assert!(
            position != *label && examples[1].label == 0,
            "the negative is the gold ending"
        );
        wrong_positions.insert(position);
    }
    assert_eq!(
        wrong_positions.len(),
        4,
        "wrong endings drawn from every position over 12 rows"
    );
    assert_ne!(
        convert_both_schemas("hellaswag", "seed = 1", &original, &hub),
        out
    );

    let endings = r#"["a","b","c","d"]"#;
    let errs = errors(
        "hellaswag",
        &[
            &format!(r#"{{"ctx":"c","endings":{endings},"label":4}}"#),
            &format!(r#"{{"ctx":"c","endings":{endings},"label":"-1"}}"#),
            &format!(r#"{{"ctx":"c","endings":{endings},"label":""}}"#),
            &format!(r#"{{"endings":{endings},"label":1}}"#),
            r#"{"ctx":"c","endings":["a",3],"label":0}"#,
        ],
    );
    assert_eq!(
        errs[0],
        "field `label` = 4 is out of range for 4 endings (0..=3)"
    );
    assert_eq!(
        errs[1],
        "field `label` = -1 is out of range for 4 endings (0..=3)"
    );
    assert_eq!(
        errs[2],
        "field `label` must be an integer, got the string \"\""
    );
    assert_eq!(errs[3], "missing field `ctx`");
    assert_eq!(errs[4], "field `endings[1]` must be a string, got a number");
}
