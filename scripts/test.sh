#!/usr/bin/env bash
# Install everything into .venv, then run the whole test suite (fast and real-model tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false ANONYMIZED_TELEMETRY=False
exec .venv/bin/python -m pytest "$@"
