//! The Wasm plugin runtime: engine, sandbox, host tensors and the three plugin kinds.
