//! Unit tests of configuration layering, errors and defaults.
use std::io::Write;

use super::*;

fn write_config(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

/// Resolves a config file with `text` and returns the file (for its path) and the error.
fn file_error(text: &str) -> (tempfile::NamedTempFile, String) {
    let file = write_config(text);
    let overrides = Overrides {
        files: vec![file.path().to_path_buf()],
        ..Default::default()
    };
    let err = resolve(&overrides).unwrap_err().to_string();
    (file, err)
}

#[test]
fn default_toml_sets_every_key_exactly_once() {
    // Serialising the parsed defaults must give back the same table: a key missing from
    // default.toml would show up here with a placeholder value.
    let parsed: Table = toml::from_str(DEFAULT_TOML).unwrap();
    let round_trip: Table = toml::from_str(&toml::to_string(&Config::defaults()).unwrap()).unwrap();
    assert_eq!(parsed, round_trip);
}

#[test]
fn documented_defaults_are_the_experiment() {
    let c = resolve(&Overrides::default()).unwrap().config;
    assert_eq!(c.train.epochs, 20);
    assert_eq!(c.train.batch_size, 32);
    assert_eq!(c.train.lr, 2e-4);
    assert_eq!(c.regularizer.lambda, Some(0.1));
    assert_eq!(c.regularizer.path, None);
    assert_eq!(c.model.source, "gpt2");
}

#[test]
fn layers_apply_in_order_file_then_set_then_flags() {
    let file = write_config("[train]\nlr = 1e-3\nepochs = 3\n");
    let mut overrides = Overrides {
        files: vec![file.path().to_path_buf()],
        sets: vec!["train.epochs=5".into(), "regularizer.k=64".into()],
        ..Default::default()
    };
    overrides.flag("train.batch_size", "--batch-size", Some(8i64));
    let resolved = resolve(&overrides).unwrap();
    let c = &resolved.config;
    assert_eq!(c.train.lr, 1e-3);
    assert_eq!(c.train.epochs, 5);
    assert_eq!(c.train.batch_size, 8);
    assert_eq!(c.train.grad_accum, 1, "untouched keys keep their defaults");
    assert_eq!(c.regularizer.params.get("k"), Some(&Value::Integer(64)));
    assert_eq!(
        resolved.origin_of("train.epochs"),
        Origin::Set("train.epochs=5".into())
    );
    assert_eq!(
        resolved.origin_of("train.lr"),
        Origin::File {
            path: file.path().to_path_buf(),
            line: 2,
            column: 1
        }
    );
}

#[test]
fn unknown_key_in_file_names_file_line_column_and_valid_keys() {
    let (file, err) = file_error("name = \"x\"\n[train]\nepoch = 3\n");
    let expected_prefix = format!("{}:3:1:", file.path().display());
    assert!(err.starts_with(&expected_prefix), "{err}");
    assert!(err.contains("unknown field `epoch`"), "{err}");
    assert!(
        err.contains("`epochs`") && err.contains("`batch_size`"),
        "lists valid keys: {err}"
    );
}

#[test]
fn wrong_type_in_file_is_located() {
    let (file, err) = file_error("[train]\nbatch_size = \"large\"\n");
    assert!(
        err.starts_with(&format!("{}:2:", file.path().display())),
        "{err}"
    );
    assert!(err.contains("invalid type: string \"large\""), "{err}");
}

#[test]
fn toml_syntax_error_is_located() {
    let (file, err) = file_error("[train\nlr = 1\n");
    assert!(
        err.starts_with(&format!("{}:1:", file.path().display())),
        "{err}"
    );
}

#[test]
fn unknown_set_key_is_an_error_naming_the_argument() {
    let overrides = Overrides {
        sets: vec!["train.epoch=3".into()],
        ..Default::default()
    };
    let err = resolve(&overrides).unwrap_err().to_string();
    assert!(
        err.starts_with("--set train.epoch=3: unknown field `epoch`"),
        "{err}"
    );
    let overrides = Overrides {
        sets: vec!["nonsense".into()],
        ..Default::default()
    };
    let err = resolve(&overrides).unwrap_err().to_string();
    assert!(err.contains("expected key=value"), "{err}");
}

#[test]
fn out_of_range_names_key_origin_and_valid_range() {
    let (file, err) = file_error("[train]\nlr = -1.0\n");
    assert_eq!(
        err,
        format!(
            "{}:2:1: `train.lr` = -1 is out of range: a finite number > 0",
            file.path().display()
        )
    );
    let mut overrides = Overrides::default();
    overrides.flag("device", "--device", Some("tpu"));
    let err = resolve(&overrides).unwrap_err().to_string();
    assert!(
        err.starts_with("--device: `device` = tpu is out of range"),
        "{err}"
    );
}

#[test]
fn resolved_config_round_trips_through_toml() {
    let overrides = Overrides {
        sets: vec![
            "regularizer.path=plugins/clora.wasm".into(),
            "regularizer.k=8".into(),
        ],
        ..Default::default()
    };
    let resolved = resolve(&overrides).unwrap();
    let again: Config = toml::from_str(&resolved.to_toml()).unwrap();
    assert_eq!(again, resolved.config);
}
