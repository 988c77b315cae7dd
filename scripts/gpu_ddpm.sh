#!/usr/bin/env bash
# One command: a scaled-down real DDPM experiment on one GPU (THEORY.md §9; paper Sec. 4).
#
# Sneaker paired with Bag and with Trouser (50 % each), 300 training images per pair, a half-width
# U-Net (32 64 128 128, the paper's structure), T = 1000, Adam 2e-4, batch 128; training is capped
# at MAX_TRAIN_S seconds per pair (state saved; a rerun resumes), then 200 DDPM ancestral samples
# from each of the 12 log-spaced checkpoints, a binary ResNet-18 per pair (5 epochs, all 12 000
# train images of the two classes), the ratio test and the memorised fraction per class, and the
# gap table and figures:
#
#   $OUT/gaps.json, $OUT/gaps.csv, $OUT/fractions.png, $OUT/gaps.png, $OUT/experiment.json
#
# Budget: under 8 minutes on one H200 (2 x (150 s training + ~1 min sampling/classifier/NN)).
# Not run in the session that wrote it (no GPU there); its CPU path is tested with tiny sizes:
#
#   DEVICE=cpu AMP=0 SIZE=tiny MAX_TRAIN_S=60 scripts/gpu_ddpm.sh --steps 30 --n 16 --T 25 \
#       --samples 8 --clf-epochs 1 --clf-images 400 --clf-width 8 --widths 8 16
#
# Extra arguments go to `classdyn ddpm run` (see `classdyn ddpm run --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/ddpm_gpu}
SIZE=${SIZE:-demo}
DEVICE=${DEVICE:-cuda}
MAX_TRAIN_S=${MAX_TRAIN_S:-150}
AMP=${AMP:-1}

if [ "$DEVICE" != cpu ] && ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_ddpm: CUDA is not available here; run with DEVICE=cpu SIZE=tiny for the CPU path" >&2
  exit 2
fi
amp_flag=()
[ "$AMP" = 1 ] && amp_flag=(--amp)

start=$(date +%s)
"$PY" -m classdyn ddpm run --size "$SIZE" --device "$DEVICE" "${amp_flag[@]}" \
  --partners Bag Trouser --proportions 0.5 --steps "${STEPS:-20000}" \
  --max-seconds "$MAX_TRAIN_S" --out "$OUT" "$@"
echo "gpu_ddpm: done in $(( $(date +%s) - start )) s; table $OUT/gaps.csv, figures $OUT/*.png" >&2
