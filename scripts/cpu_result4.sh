#!/usr/bin/env bash
# Result 4 at CPU scale: the DDPM memorisation gap of every Sneaker pair, measured on 2 cores.
#
# All nine Sneaker pairs at equal weights, each trained from scratch with the `cpu` preset of
# `classdyn ddpm run` (the same U-Net, sampler, classifier and memorisation code as the paper-size
# path; only sizes differ): 16 training images per pair (8 per class) at 14x14 (2x2 block means),
# a two-level U-Net (16, 32 channels), T = 200, Adam 2e-3, batch 16, 3000 steps, 12 log-spaced
# checkpoints from step 100, 96 ancestral samples per checkpoint, a width-8 ResNet-18 per pair
# assigning samples to classes, the ratio test d(NN1)/d(NN2) < 1/3 and the per-class onset of
# memorisation (memorised fraction crossing THETA, interpolated in log step) -> gap per pair with
# bootstrap error bars. Resumable: rerun the same command after an interruption.
#
# Writes $OUT/gaps.json (with the command, code version and seeds) and copies it to
# validation/reference_results/ddpm_cpu/, which the report reads ("CPU-scale" label).
# Cost: about 8 minutes per pair on one core, 70-80 minutes in all (estimate printed first).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/ddpm_cpu}
THETA=${THETA:-0.25}
DEST=${DEST:-validation/reference_results/ddpm_cpu}

export CLASSDYN_TORCH_THREADS=${CLASSDYN_TORCH_THREADS:-1}
start=$(date +%s)
"$PY" -m classdyn ddpm run --size cpu --device cpu --yes \
  --partners "T-shirt/top" Trouser Pullover Dress Coat Sandal Shirt Bag "Ankle boot" \
  --proportions 0.5 --threshold "$THETA" \
  --scale-label "CPU-scale (16 images per pair at 14x14, two-level U-Net, 3000 steps)" \
  --out "$OUT" "$@"
mkdir -p "$DEST"
cp "$OUT/gaps.json" "$OUT/gaps.csv" "$OUT/fractions.png" "$DEST/"
echo "cpu_result4: done in $(( $(date +%s) - start )) s; table $DEST/gaps.json" >&2
