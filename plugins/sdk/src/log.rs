//! Logging through the host: each line lands in the run's log, prefixed with the
//! plugin's name.

use crate::bindings::regularizer_world::clora::plugin::host::{self, LogLevel};

/// Logs a debug line.
pub fn debug(message: &str) {
    host::log(LogLevel::Debug, message);
}

/// Logs an informational line.
pub fn info(message: &str) {
    host::log(LogLevel::Info, message);
}

/// Logs a warning.
pub fn warn(message: &str) {
    host::log(LogLevel::Warn, message);
}

/// Logs an error (the call still returns normally; return `Err` to fail it).
pub fn error(message: &str) {
    host::log(LogLevel::Error, message);
}
