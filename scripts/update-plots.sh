#!/usr/bin/env bash
# Regenerates the charts in docs/img/ from the current build (PNG through rsvg-convert). Look at
# every changed image before committing it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/build/slmroof"
img="$root/docs/img"
[ -x "$bin" ] || { echo "build first: ./scripts/test.sh" >&2; exit 1; }
mkdir -p "$img"
# One model on one edge device: every operator of both phases.
"$bin" analyze qwen2.5-1.5b --hw jetson-orin-nano-super --plot "$img/roofline-qwen2.5-1.5b-jetson.png" >/dev/null
# The paper's five devices (RooflineBench Table 1), one workload: the efficiency trap.
"$bin" sweep qwen2.5-1.5b --hw raspberry-pi-5,jetson-orin-nano-super,apple-m1-pro,rtx-3070ti-laptop,rtx-3090 \
  --seq 1024 --plot "$img/five-devices-qwen2.5-1.5b.png" >/dev/null
# Decode OI against context length for three attention layouts (docs/findings.md).
"$bin" sweep qwen2.5-1.5b llama-3.2-1b smollm2-1.7b --hw jetson-orin-nano-super --phase decode \
  --seq 128:32768:x2 --plot "$img/decode-oi-vs-context.png" >/dev/null
# Decode against depth (the paper's 2..64-layer variants).
"$bin" sweep qwen2.5-1.5b --hw jetson-orin-nano-super --phase decode --seq 4096 --batch 1,16 \
  --layers 2:64:x2 --plot "$img/decode-vs-depth.png" >/dev/null
# A quantized build against fp16 on a Pi 5: the roofline beside the change of every metric, with
# a CI gate's thresholds drawn on the bars.
"$bin" compare qwen2.5-1.5b qwen2.5-1.5b@weights=Q4_K_M --hw raspberry-pi-5 --seq 4096 \
  --fail-if 'tpot>+5%' --fail-if 'decode_tps<-3tok/s' --fail-if 'memory>+100MB' \
  --plot "$img/compare-q4km-rpi5.png" >/dev/null
# quant-plan's frontier on Nemotron-H-4B with the synthetic KL probes of docs/quant-plan.md.
"$bin" quant-plan nemotron-h-4b --hw jetson-orin-nano-super --max-bytes 4GB --frontier 30 \
  --kl-probe "q4_0=$root/tests/data/kl-probe/nemotron-h-4b-kl4.json" \
  --kl-probe "q8_0=$root/tests/data/kl-probe/nemotron-h-4b-kl8.json" \
  --plot "$img/quant-plan-frontier-nemotron-h-4b.png" >/dev/null
# The HTML report of one analysis (a page, not an image: look at it in a browser).
"$bin" analyze qwen2.5-1.5b --hw jetson-orin-nano-super --plot "$img/report-qwen2.5-1.5b-jetson.html" >/dev/null
echo "regenerated $(ls "$img" | wc -l) charts in docs/img" >&2
