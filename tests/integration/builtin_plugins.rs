//! Integration tests: builtin_plugins.
