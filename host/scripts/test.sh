#!/usr/bin/env bash
# Sets everything up (host/scripts/setup.sh) and runs the whole test suite: the host's
# unit and integration tests, including parity tests against PyTorch/transformers/PEFT
# from the project venv and tests that load the built plugins.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$ROOT/host/scripts/setup.sh"
cd "$ROOT"
echo "[test] cargo test --release (host workspace)" >&2
cargo test --release --workspace "$@"
