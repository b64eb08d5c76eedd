#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md, section by section, on this machine
# (about 1.5 hours on 2 cores; run it on an otherwise idle machine):
#
#   host/scripts/bench-all.sh [DATA_DIR]        (default: ../shared/data beside the checkout)
#
#   End to end ............ host/benches/e2e/run_e2e.py (throughput, first step, RSS,
#                           GEMM peak, data prepare via host/scripts/bench-data.sh)
#   CLoRA overhead ........ the same runner, lora/clora only, interleaved
#   Model ................. cargo bench --bench model
#   Plugin runtime ........ cargo bench --bench plugin_runtime
#   Built-in plugins ...... cargo bench --bench builtin_plugins
#   Python plugins ........ cargo bench --bench python_plugins
#
# Each step prints its own report; the end-to-end ones are also written under
# ~/.cache/clora-host/e2e and ~/.cache/clora-host/e2e-overhead (e2e-report.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$(cd "${1:-$ROOT/../shared/data}" && pwd)"
cd "$ROOT"
"$ROOT/host/scripts/setup.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clora-host/target}"
PY="$ROOT/.venv/bin/python"
section() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

section "End to end"
"$PY" host/benches/e2e/run_e2e.py --data "$DATA"
section "CLoRA overhead (interleaved)"
"$PY" host/benches/e2e/run_e2e.py --models tiny gpt2-124m --methods lora clora --batching same \
  --threads "$(nproc)" --skip-data --data "$DATA" --work "$HOME/.cache/clora-host/e2e-overhead"
section "Model"
cargo bench --bench model
section "Plugin runtime"
cargo bench --bench plugin_runtime
section "Built-in plugins"
CLORA_DATA="$DATA" cargo bench --bench builtin_plugins
section "Python plugins"
CLORA_DATA="$DATA" cargo bench --bench python_plugins
