//! The SDK's error type: a message the host shows to the user.
//!
//! Every host tensor operation returns `Result<_, String>`; `?` converts that into
//! [`Error`], and [`Context::context`] prefixes what the plugin was doing, e.g.
//! `layer h.0.attn.c_attn: A·P_in: shape mismatch ...`.

use std::fmt;

/// An error a plugin reports to the host (it becomes the `err` of the WIT call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error(message.to_string())
    }
}

impl From<Error> for String {
    fn from(error: Error) -> Self {
        error.0
    }
}

/// Adds what was being done to an error: `op.context("A·P_in")?`.
pub trait Context<T> {
    /// Prefixes the error with `what: `.
    fn context(self, what: impl fmt::Display) -> Result<T>;
    /// Like [`Context::context`], building the prefix only on error.
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error(format!("{what}: {e}")))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| Error(format!("{}: {e}", what())))
    }
}

/// Returns early with an [`Error`] built like `format!`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return ::core::result::Result::Err($crate::Error::new(::std::format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_prefixes_the_message() {
        let r: std::result::Result<(), String> = Err("shape mismatch".into());
        assert_eq!(
            r.context("A·P_in").unwrap_err().message(),
            "A·P_in: shape mismatch"
        );
    }
}
