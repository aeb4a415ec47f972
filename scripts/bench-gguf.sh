#!/usr/bin/env bash
# Times `slmroof inspect` on a 20 GB GGUF file (docs/performance.md, "inspect on a 20 GB GGUF"):
# writes a sparse file whose header and tensor table are those of a 10B-parameter model with a
# 256,000-token vocabulary (its tokenizer strings and merges included) and whose data section is
# a hole, then runs inspect under /usr/bin/time. Usage: scripts/bench-gguf.sh [SLMROOF_BINARY]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin="${1:-$SLMROOF_ROOT/build/slmroof}"
slmroof_ensure_packages python3 time
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/big.gguf" <<'PY'
import os, struct, sys
def s(x):
    x = x.encode(); return struct.pack('<Q', len(x)) + x
kv = [s('general.architecture') + struct.pack('<I', 8) + s('llama'),
      s('llama.block_count') + struct.pack('<II', 4, 48),
      s('tokenizer.ggml.tokens') + struct.pack('<IIQ', 9, 8, 256000) +
      b''.join(s('tok%d' % i) for i in range(256000)),
      s('tokenizer.ggml.merges') + struct.pack('<IIQ', 9, 8, 250000) +
      b''.join(s('a%d b%d' % (i, i)) for i in range(250000))]
tensors = [('token_embd.weight', [4096, 256000])]
for l in range(48):
    for role, ne in (('attn_q', [4096, 4096]), ('attn_k', [4096, 1024]), ('attn_v', [4096, 1024]),
                     ('attn_output', [4096, 4096]), ('ffn_gate', [4096, 12288]),
                     ('ffn_up', [4096, 12288]), ('ffn_down', [12288, 4096])):
        tensors.append(('blk.%d.%s.weight' % (l, role), ne))
out = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv)) + b''.join(kv)
off = 0
for name, ne in tensors:
    out += s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', d) for d in ne)
    out += struct.pack('<IQ', 1, off)  # F16
    off += (ne[0] * ne[1] * 2 + 31) // 32 * 32
out += b'\0' * ((32 - len(out) % 32) % 32)
with open(sys.argv[1], 'wb') as f:
    f.write(out)
    f.truncate(len(out) + off)
PY
ls -l "$dir/big.gguf" | awk '{printf "file: %.1f GB on disk as a sparse file\n", $5 / 1e9}'
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB max RSS" "$bin" inspect "$dir/big.gguf" >/dev/null
done
