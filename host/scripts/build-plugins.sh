#!/usr/bin/env bash
# Builds the plugin workspace (plugins/, wasm32-wasip2, opt-level "s" + LTO: see
# plugins/Cargo.toml) and copies each component into place:
#   plugins/builtin/<name>  -> plugins/<name>.wasm
#   plugins/fixtures/<name> -> plugins/fixtures/<name>.wasm   (hostile test plugins)
# <name> is the package name. A file is only replaced when its bytes change, so an
# unchanged build leaves mtimes (and the host's compiled-component cache) alone; with
# nothing to rebuild the script takes about a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/plugins"
cargo build --release --quiet
# "<artifact path> <destination>" per component, from cargo's own metadata.
cargo metadata --format-version 1 --no-deps | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
out = os.path.join(meta["target_directory"], "wasm32-wasip2", "release")
root = sys.argv[1]
for pkg in meta["packages"]:
    rel = os.path.relpath(os.path.dirname(pkg["manifest_path"]), root)
    group = rel.split(os.sep)[0]
    if group not in ("builtin", "fixtures"):
        continue
    for target in pkg["targets"]:
        if "cdylib" in target["kind"]:
            artifact = os.path.join(out, target["name"].replace("-", "_") + ".wasm")
            dest_dir = root if group == "builtin" else os.path.join(root, "fixtures")
            print(artifact, os.path.join(dest_dir, pkg["name"] + ".wasm"))
' "$ROOT/plugins" | while read -r artifact dest; do
  [ -f "$artifact" ] || { echo "build-plugins: missing $artifact" >&2; exit 1; }
  mkdir -p "$(dirname "$dest")"
  cmp -s "$artifact" "$dest" 2>/dev/null || cp "$artifact" "$dest"
done
