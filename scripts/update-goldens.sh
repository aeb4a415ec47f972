#!/usr/bin/env bash
# Regenerates tests/golden/ from the current build. Review every changed file in the diff.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/build/slmroof"
out="$root/tests/golden"
[ -x "$bin" ] || { echo "build first: ./scripts/test.sh" >&2; exit 1; }
while read -r name args; do
  [ -z "$name" ] && continue
  # Arguments are shell words, quoted as the tests' RunBinary passes them to /bin/sh.
  eval "\"\$bin\" $args" > "$out/$name"
done < "$root/tests/golden/CASES"
# The README's example is the default golden, between its markers.
python3 - "$root/README.md" "$out/default.txt" <<'PY'
import sys
readme, golden = open(sys.argv[1]).read(), open(sys.argv[2]).read()
start, end = "<!-- golden:default.txt -->\n", "<!-- /golden -->"
i, j = readme.index(start) + len(start), readme.index(end)
open(sys.argv[1], "w").write(readme[:i] + golden + readme[j:])
PY
echo "regenerated $(grep -c . "$root/tests/golden/CASES") golden files" >&2
