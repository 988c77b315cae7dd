#!/usr/bin/env bash
# Set up classdyn for a user or CI: a virtual environment with the package (editable) and its
# `ddpm`, `test`, `docs`, `data` and `dist` extras, the CPU build of torch unless a GPU is present, and, when run as root,
# the Debian Fashion-MNIST package. Idempotent: a stamp records what was installed, and a second
# run with unchanged setup files returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_CPU_PIN=${TORCH_CPU_PIN:-torch==2.13.0}
FMNIST_DIR=/usr/share/datasets/fashion-mnist

have_gpu() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }

want=$( { cat setup.cfg pyproject.toml scripts/setup.sh; have_gpu && echo gpu || echo cpu; } \
        | sha256sum | cut -c1-16)
stamp="$VENV/.classdyn-setup"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/classdyn" ]; then
  exit 0
fi

if [ ! -d "$FMNIST_DIR" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian package dataset-fashion-mnist" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) \
    >&2 || echo "setup: warning: could not install dataset-fashion-mnist; tests that need it are skipped" >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtual environment $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }

if have_gpu; then
  echo "setup: GPU found; installing torch with CUDA support" >&2
  pip install 'torch>=2.1'
else
  echo "setup: no GPU; installing the CPU build $TORCH_CPU_PIN" >&2
  pip install "$TORCH_CPU_PIN"
fi
echo "setup: installing classdyn with extras ddpm,test,docs,data,dist" >&2
pip install -e '.[ddpm,test,docs,data,dist]'
echo "$want" > "$stamp"
echo "setup: done ($VENV)" >&2
