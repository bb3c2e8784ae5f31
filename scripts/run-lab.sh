#!/usr/bin/env bash
# The main job (`npm run lab`), set-up included, from a fresh clone: dependencies, engine,
# lab prerequisites, then `nova-installer lab deploy` (lab up -> lab stack -> pulumi up).
# Extra arguments go to `lab deploy` (for example --computes 3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(nova_root)"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm install, not npm ci: see scripts/test.sh.
  nova_log lab "installing dependencies (npm install from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi
nova_log lab "engine"
bash scripts/bootstrap-engine.sh >/dev/null
nova_log lab "lab prerequisites"
bash scripts/lab-prereqs.sh
nova_log lab "deploy"
bin/nova-installer lab deploy "$@"
nova_log lab "done"
