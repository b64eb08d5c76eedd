//! The configuration: sections, the embedded defaults, `--set` overrides and validation.
