#!/usr/bin/env bash
# Sets up everything clora-host needs on a fresh machine, idempotently:
#   1. a Python venv with PyTorch 2.13.0 (+ transformers, peft for parity tests and the
#      Python baseline) — at $CLORA_VENV, default <repo>/.venv (git-ignored);
#   2. the `.venv/libtorch` link that .cargo/config.toml points LIBTORCH at;
#   3. the wasm32-wasip2 Rust target;
#   4. all plugins (plugins/<name>.wasm) and the host binary (release).
# A second run with nothing changed takes seconds.
#
# Environment:
#   CLORA_VENV        where the venv lives (CI keeps it under ~/.cache so it survives)
#   CARGO_TARGET_DIR  honoured as usual by cargo
#   SETUP_SKIP_BUILD  set to 1 to stop after the toolchain steps
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# --- 1. Python venv -------------------------------------------------------------
VENV="${CLORA_VENV:-$ROOT/.venv}"
REQS="$ROOT/host/scripts/requirements.txt"
if [ "$VENV" != "$ROOT/.venv" ]; then
  mkdir -p "$(dirname "$VENV")"
  # The repo-local .venv is a link to the shared location.
  if [ -e "$ROOT/.venv" ] && [ ! -L "$ROOT/.venv" ]; then
    say "warning: $ROOT/.venv is a real directory; CLORA_VENV=$VENV is ignored"
    VENV="$ROOT/.venv"
  else
    ln -sfn "$VENV" "$ROOT/.venv"
  fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  say "creating venv at $VENV"
  python3 -m venv "$VENV"
fi
STAMP="$VENV/.clora-requirements.sha256"
WANT="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  say "installing Python requirements (PyTorch is large; first time takes a few minutes)"
  "$VENV/bin/pip" install --disable-pip-version-check -q --upgrade pip
  "$VENV/bin/pip" install --disable-pip-version-check -q -r "$REQS"
  echo "$WANT" > "$STAMP"
fi

# --- 2. libtorch link ------------------------------------------------------------
TORCH_DIR="$(ls -d "$VENV"/lib/python3*/site-packages/torch | head -n1)"
[ -f "$TORCH_DIR/lib/libtorch_cpu.so" ] || { say "error: no libtorch in $TORCH_DIR"; exit 1; }
ln -sfn "$TORCH_DIR" "$VENV/libtorch"

# --- 3. Rust target for the plugins ---------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  say "adding Rust target wasm32-wasip2"
  rustup target add wasm32-wasip2
fi

[ "${SETUP_SKIP_BUILD:-0}" = "1" ] && exit 0

# --- 4. builds ------------------------------------------------------------------------
say "building plugins"
"$ROOT/host/scripts/build-plugins.sh"
say "building clora-host (release; a clean build takes about 8 minutes on 2 cores)"
cargo build --release --quiet --bin clora-host
say "ready: $(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/clora-host"
