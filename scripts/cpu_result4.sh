#!/usr/bin/env bash
# Result 4 at CPU scale: the DDPM memorisation gap of every Sneaker pair, measured on 2 cores.
#
# All nine Sneaker pairs at equal weights, each trained from scratch with the `cpu` preset of
# `classdyn ddpm run` (the same U-Net, sampler, classifier and memorisation code as the paper-size
# path; only sizes differ): 8 training images per pair (4 per class) at 14x14 (2x2 block means),
# a two-level U-Net (16, 32 channels), T = 100, Adam 2e-3, batch 8, 5000 steps, 12 log-spaced
# checkpoints from step 200, 64 ancestral samples per checkpoint, a width-8 ResNet-18 per pair
# assigning samples to classes, the ratio test d(NN1)/d(NN2) < 1/3 and the per-class onset of
# memorisation per class -> gap per pair with bootstrap error bars. The comparison uses the
# memorisation lead (mean over log step of f_partner - f_Sneaker, classdyn.ddpm.gaps), because at
# this scale the low-variance Sneaker often never reaches the crossing threshold THETA within the
# run (then the crossing gap, also in the table, is undefined). The pairs run in JOBS parallel processes of one thread each. Resumable:
# rerun the same command after an interruption.
#
# Writes $OUT/gaps.json (with the command, code version and seeds) and copies it to
# validation/reference_results/ddpm_cpu/, which the report reads ("CPU-scale" label).
# Cost: about 5 minutes per pair on one idle core, 25-50 minutes in all (estimates printed first).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/ddpm_cpu}
THETA=${THETA:-0.25}
JOBS=${JOBS:-2}
DEST=${DEST:-validation/reference_results/ddpm_cpu}
LABEL="CPU-scale (8 images per pair at 14x14, two-level U-Net, 5000 steps)"
PARTNERS=("T-shirt/top" Trouser Pullover Dress Coat Sandal Shirt Bag "Ankle boot")

export CLASSDYN_TORCH_THREADS=${CLASSDYN_TORCH_THREADS:-1}
start=$(date +%s)
pids=()
for ((j = 0; j < JOBS; j++)); do
  mine=()
  for ((k = j; k < ${#PARTNERS[@]}; k += JOBS)); do mine+=("${PARTNERS[$k]}"); done
  "$PY" -m classdyn ddpm run --size cpu --device cpu --yes --partners "${mine[@]}" \
    --proportions 0.5 --threshold "$THETA" --scale-label "$LABEL" --statistic lead \
    --out "$OUT" "$@" > "$OUT.job$j.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [ "$status" != 0 ]; then
  echo "cpu_result4: a job failed; see $OUT.job*.log (rerun to resume)" >&2
  exit 1
fi
"$PY" -m classdyn ddpm gaps --out "$OUT" --threshold "$THETA" --scale-label "$LABEL" \
  --statistic lead
mkdir -p "$DEST"
cp "$OUT/gaps.json" "$OUT/gaps.csv" "$OUT/fractions.png" "$DEST/"
echo "cpu_result4: done in $(( $(date +%s) - start )) s; table $DEST/gaps.json" >&2
