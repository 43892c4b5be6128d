#!/usr/bin/env bash
# Install the runtime dependencies into .venv, then start the product on the shipped corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false ANONYMIZED_TELEMETRY=False
if [ -f app.py ]; then
  exec .venv/bin/python app.py "$@"
fi
.venv/bin/python -m rag ingest corpus/
exec .venv/bin/python -m rag chat
