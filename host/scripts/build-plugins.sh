#!/usr/bin/env bash
# Builds every crate of the plugin workspace (wasm32-wasip2, size-optimised) and copies
# each component to plugins/<name>.wasm. Files are only replaced when their bytes change,
# so an unchanged build leaves mtimes (and the host's compiled-component cache) alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/plugins"
cargo build --release --quiet
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
OUT="$TARGET_DIR/wasm32-wasip2/release"
for wasm in "$OUT"/*.wasm; do
  [ -e "$wasm" ] || continue
  name="$(basename "$wasm" .wasm)"
  dest="$ROOT/plugins/${name//_/-}.wasm"
  cmp -s "$wasm" "$dest" 2>/dev/null || cp "$wasm" "$dest"
done
