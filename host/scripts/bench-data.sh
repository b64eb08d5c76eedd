#!/usr/bin/env bash
# The data benchmark of BENCHMARKS.md ("Data"): CommonsenseQA train (original JSONL)
# preprocessed and tokenized (GPT-2 BPE, max_length 256), cold and warm, by clora-host
# and by the Python `datasets` + GPT2TokenizerFast path (tests/python/bench_data.py).
#
# Usage: host/scripts/bench-data.sh [DATA_DIR] [RUNS]
#   DATA_DIR defaults to ../shared/data (commonsense_qa/ and gpt2_tokenizer/ inside).
# Needs the release binary ($CARGO_TARGET_DIR/release/clora-host) and the project venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DATA="${1:-../shared/data}"
RUNS="${2:-3}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/clora-host"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ARGS=(data prepare --config configs/local.toml --set "data.root=$DATA" --model "$DATA/gpt2_tokenizer" --split train)

wall() { /usr/bin/time -f "%e" -o "$WORK/wall" "$@"; }
rust() { # $1 = label; prints the in-process time from the prepare line and the wall time
  local out
  out="$(wall env XDG_CACHE_HOME="$WORK/xdg" "$BIN" "${ARGS[@]}" 2>/dev/null)"
  echo "$1 $(echo "$out" | sed -n 's/.*cache \([A-Za-z]*\) in \([0-9.]*\) s.*/cache=\1 in-process=\2s/p') wall=$(cat "$WORK/wall")s"
}
python() { # $1 = label
  local out
  out="$(wall "$ROOT/.venv/bin/python" tests/python/bench_data.py \
    "$DATA/commonsense_qa/train_rand_split.jsonl" "$DATA/gpt2_tokenizer" --cache "$WORK/hf-datasets" 2>/dev/null)"
  echo "$1 $out wall=$(cat "$WORK/wall")s"
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "startup: clora-host --version wall=$(wall "$BIN" --version >/dev/null; cat "$WORK/wall")s"
for i in $(seq "$RUNS"); do rm -rf "$WORK/xdg"; rust "rust cold (no data or component cache)"; done
for i in $(seq "$RUNS"); do rm -rf "$WORK/xdg/clora-host/data"; rust "rust cold (components cached)"; done
for i in $(seq "$RUNS"); do rust "rust warm"; done
for i in $(seq "$RUNS"); do rm -rf "$WORK/hf-datasets"; python "python cold"; done
for i in $(seq "$RUNS"); do python "python warm"; done
