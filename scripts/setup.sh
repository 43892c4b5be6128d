#!/usr/bin/env bash
# Create .venv, install the pinned requirements and the project itself (again only when they change).
#   scripts/setup.sh        runtime dependencies
#   scripts/setup.sh dev    runtime + test dependencies, Debian's chromium for the browser tests and
#                           axe-core (pinned in tests/node/package-lock.json) for the accessibility scan
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
want=requirements.txt
[ "${1:-}" = dev ] && want=requirements-dev.txt
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
stamp=".venv/.installed-$(cat requirements.txt "$want" pyproject.toml | sha256sum | cut -c1-16)-$(basename "$want" .txt)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q -r "$want"
  # The project itself, as `pip install -e .` would for a user: `import rag` and the `rag` command work anywhere.
  .venv/bin/python -m pip install -q --no-deps -e .
  touch "$stamp"
fi
if [ "${1:-}" = dev ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install chromium; the browser test will be skipped" >&2
  else
    echo "setup: chromium not found and cannot apt-get it; the browser test will be skipped" >&2
  fi
fi
if [ "${1:-}" = dev ] && [ ! -f tests/node/node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/node --no-audit --no-fund --silent \
      || echo "setup: could not install axe-core; the accessibility scan will be skipped" >&2
  else
    echo "setup: npm not found; the accessibility scan (axe-core) will be skipped" >&2
  fi
fi
