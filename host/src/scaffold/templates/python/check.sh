#!/usr/bin/env bash
# Runs the native self-check (test_plugin.py), builds {{name}}.wasm and runs clora-host's
# conformance check on it. Extra arguments go to `plugins check` (e.g. --set NAME=VALUE).
# CLORA_HOST overrides the clora-host binary, CLORA_REPO the checkout, PYTHON the
# interpreter (it needs numpy and componentize-py: the checkout's .venv has both).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
DEFAULT_REPO={{repo_sh}}
DEFAULT_HOST={{host_sh}}
CLORA_REPO="${CLORA_REPO:-$DEFAULT_REPO}"
PYTHON="${PYTHON:-$CLORA_REPO/.venv/bin/python}"
HOST_BIN="${CLORA_HOST:-$DEFAULT_HOST}"
[ -x "$HOST_BIN" ] || HOST_BIN=clora-host
"$PYTHON" test_plugin.py
./build.sh
"$HOST_BIN" plugins check {{name}}.wasm "$@"
