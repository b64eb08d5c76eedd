//! Integration tests: plugin_runtime.
