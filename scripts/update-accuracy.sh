#!/usr/bin/env bash
# Regenerates the tables of docs/accuracy.md from the current build and validation/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/build/slmroof"
[ -x "$bin" ] || { echo "build first: ./scripts/test.sh" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin" validate "$root/validation" > "$tmp/profiles.txt"
"$bin" validate "$root/validation" --split holdout > "$tmp/holdout.txt"
"$bin" validate "$root/validation" --engine ideal > "$tmp/ideal.txt"
"$bin" calibrate "$root/validation" --cross-validate > "$tmp/lomo.txt"
python3 - "$root/docs/accuracy.md" "$tmp" <<'PY'
import sys, os
doc, tmp = sys.argv[1], sys.argv[2]
text = open(doc).read()
for name in ["profiles", "holdout", "ideal", "lomo"]:
    body = open(os.path.join(tmp, name + ".txt")).read()
    start, end = f"<!-- table:{name} -->\n", f"<!-- /table:{name} -->"
    i, j = text.index(start) + len(start), text.index(end)
    text = text[:i] + "```\n" + body + "```\n" + text[j:]
open(doc, "w").write(text)
PY
echo "regenerated the tables of docs/accuracy.md" >&2
