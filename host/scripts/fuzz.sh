#!/usr/bin/env bash
# Runs each cargo-fuzz target of host/fuzz for a bounded time; fails on the first finding.
#
#   host/scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, every target)
#
# Targets (host/fuzz/fuzz_targets/):
#   config_layers    the layered config (Layer::from_text, resolve, --set) on arbitrary TOML;
#                    seeded with configs/*.toml
#   preprocess_rows  source rows → examples: data::source reading + data::preprocess with the
#                    real plugins/commonsense-qa.wasm in the sandboxed runtime; seeded with
#                    host/fuzz/seeds/preprocess_rows
#
# How this runs on the stable toolchain (1.95, the only one the project uses): cargo-fuzz
# builds with nightly-only flags (-Zsanitizer=address, -Cpasses=sancov-module, ...).
# RUSTC_BOOTSTRAP=1 lets stable rustc accept them, and stable's rust-std for
# x86_64-unknown-linux-gnu ships the AddressSanitizer runtime, so the default
# `cargo fuzz run` (libFuzzer + ASan) works without nightly. Set FUZZ_SANITIZER=none to
# build without ASan (`cargo fuzz run -s none`: faster, still catches panics and aborts).
#
# The instrumented build is separate from the host's (CARGO_TARGET_DIR defaults to
# ~/.cache/clora-host/fuzz-target); a clean one takes about as long as the host's first
# build. New corpus entries go to host/fuzz/corpus/<target>/ and a crashing input to
# host/fuzz/artifacts/<target>/ (both git-ignored); replay one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>       (in host/fuzz)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(config_layers preprocess_rows)
say() { printf '[fuzz] %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# preprocess_rows loads the built preprocessor component.
[ -f "$ROOT/plugins/commonsense-qa.wasm" ] || "$ROOT/host/scripts/build-plugins.sh"

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CLORA_FUZZ_TARGET_DIR:-$HOME/.cache/clora-host/fuzz-target}"
SANITIZER="${FUZZ_SANITIZER:-address}"
cd "$ROOT/host/fuzz"

seeds_of() {
  case "$1" in
    config_layers) echo "$ROOT/configs" ;;
    *) echo "$ROOT/host/fuzz/seeds/$1" ;;
  esac
}

for target in "${TARGETS[@]}"; do
  say "building $target (sanitizer: $SANITIZER)"
  cargo fuzz build --sanitizer "$SANITIZER" "$target"
  mkdir -p "corpus/$target"
  say "running $target for ${SECONDS_PER_TARGET}s"
  # -rss_limit_mb: libtorch and the Wasm engine are large before any input runs.
  cargo fuzz run --sanitizer "$SANITIZER" "$target" "corpus/$target" "$(seeds_of "$target")" -- \
    -max_total_time="$SECONDS_PER_TARGET" \
    -dict="$target.dict" \
    -timeout=60 \
    -rss_limit_mb=6144 \
    -print_final_stats=1
  say "$target: no findings in ${SECONDS_PER_TARGET}s"
done
