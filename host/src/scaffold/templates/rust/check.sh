#!/usr/bin/env bash
# Runs the unit tests natively, builds {{name}}.wasm and runs clora-host's conformance
# check on it. Extra arguments go to `plugins check` (e.g. --set NAME=VALUE).
# CLORA_HOST overrides the clora-host binary; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
DEFAULT_HOST={{host_sh}}
HOST_BIN="${CLORA_HOST:-$DEFAULT_HOST}"
[ -x "$HOST_BIN" ] || HOST_BIN=clora-host
cargo test --release --quiet --target "$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --quiet
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{{crate}}.wasm" {{name}}.wasm
"$HOST_BIN" plugins check {{name}}.wasm "$@"
