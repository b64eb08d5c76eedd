//! Integration tests: model (GPT-2 + LoRA parity with transformers/PEFT, adapters,
//! sources, the Hub client against a loopback server, AdamW, `predict`).
//!
//! Reference numbers come from the project venv's Python, run live by the tests
//! (tests/python/make_tiny_gpt2.py, peft_parity.py, adamw_reference.py,
//! tokenize_check.py).
mod common;
mod full_size;
mod hub_loopback;
mod optimizer;
mod parity;
mod predict_cli;
mod sources;
