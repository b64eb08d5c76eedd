//! Integration tests for clora-host: one binary, one module per area. Shared helpers
//! live in `support`.
mod authoring;
mod builtin_plugins;
mod data;
mod model;
mod plugin_runtime;
mod reliability;
mod support;
mod sweep;
mod train;
