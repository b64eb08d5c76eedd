#!/usr/bin/env bash
# Smoke run on the real data (CI's last step): a tiny random-init GPT-2 (byte-level
# tokenizer), the original CommonsenseQA / BoolQ / ARC / HellaSwag releases,
# and the three modes — LoRA, CLoRA plugin, LoRA + PCA-gradient plugin — for a few
# steps each. Checks that every summary.json carries every metric for all four splits.
#   host/scripts/smoke.sh [DATA_DIR]   (default ../shared/data)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$(cd "${1:-$ROOT/../shared/data}" && pwd)"
cd "$ROOT"
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/clora-host"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$BIN" model init-tiny --out "$WORK/tiny-gpt2" >/dev/null
COMMON=(--config configs/local.toml --set "data.root=\"$DATA\"" --model "$WORK/tiny-gpt2"
        --set train.max_steps=6 --set train.batch_size=8 --set train.log_every=2
        --set data.train.max_examples=96 --max-eval-samples 64 --set data.max_length=96
        --set "data.cache_dir=\"$WORK/cache\"" --set device=\"cpu\")

run_mode() {
  local name="$1"; shift
  echo "[smoke] $name" >&2
  "$BIN" train "${COMMON[@]}" --set "name=\"$name\"" --output-dir "$WORK/$name" "$@" | tee "$WORK/$name.out"
  python3 - "$WORK/$name/summary.json" <<'PY'
import json, math, sys
s = json.load(open(sys.argv[1]))
splits = {"validation", "test.arc_challenge", "test.boolq", "test.hellaswag"}
missing = splits - set(s["splits"])
assert not missing, f"missing splits {missing}"
for name in splits:
    m = s["splits"][name]
    for key in ("accuracy", "precision", "recall", "f1"):
        assert isinstance(m[key], float) and 0.0 <= m[key] <= 1.0, (name, key, m[key])
    assert m["examples"] > 0, name
for key in ("update_capacity", "output_change"):
    assert math.isfinite(s["capacity"][key]["mean"]) and s["capacity"][key]["layers"], key
assert s["training"]["steps"] == 6, s["training"]
print(f"[smoke] ok: {sys.argv[1]}")
PY
}

run_mode lora
run_mode clora --regularizer plugins/clora.wasm --set regularizer.k=16
run_mode pca --grad-processor plugins/pca-grad.wasm --set grad_processor.components=2
echo "[smoke] all three modes passed" >&2
