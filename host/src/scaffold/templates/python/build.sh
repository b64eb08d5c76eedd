#!/usr/bin/env bash
# Builds {{name}}.wasm from plugin.py with componentize-py, against the clora-host
# checkout's contract (wit/) and Python SDK (plugins/python). `--stub-wasi` replaces the
# WASI imports of the Python runtime (files, clocks, sockets, ...) by traps, so the
# component imports only clora:plugin and loads in the host's sandbox.
# CLORA_REPO overrides the checkout, COMPONENTIZE_PY the tool.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
DEFAULT_REPO={{repo_sh}}
CLORA_REPO="${CLORA_REPO:-$DEFAULT_REPO}"
COMPONENTIZE_PY="${COMPONENTIZE_PY:-$CLORA_REPO/.venv/bin/componentize-py}"
"$COMPONENTIZE_PY" -q -d "$CLORA_REPO/wit" -w {{world}} componentize --stub-wasi \
    -p . -p "$CLORA_REPO/plugins/python" plugin -o {{name}}.wasm
echo "built {{name}}.wasm"
