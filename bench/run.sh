#!/usr/bin/env bash
# The benchmark (bench/run.ts): bash bench/run.sh [--runs 3] [--quick]. Needs root (the lab).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
bash scripts/bootstrap-engine.sh >/dev/null
bash scripts/lab-prereqs.sh
exec node --require ts-node/register/transpile-only bench/run.ts "$@"
