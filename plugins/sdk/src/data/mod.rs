//! Helpers for preprocessors: JSON field access with precise errors, per-row seeded
//! randomness, text templates, and multiple-choice questions in both the original and
//! the Hugging Face Hub layouts.

pub mod choices;
pub mod json;
pub mod rng;
pub mod template;

pub use choices::{Choice, MultipleChoice};
pub use json::{Field, Record};
pub use rng::RowRng;
pub use template::Template;
