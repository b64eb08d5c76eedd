#!/usr/bin/env bash
# Sets everything up (host/scripts/setup.sh) and runs the main job on the offline demo:
# a tiny random-init GPT-2 and synthetic data in the real datasets' schemas, trained
# with the CLoRA regularizer plugin, evaluated in- and out-of-domain. A few minutes on
# 2 CPU cores; no network needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$ROOT/host/scripts/setup.sh"
cd "$ROOT"
exec cargo run --release --quiet --bin clora-host -- demo "$@"
