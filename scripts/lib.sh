# Shared shell helpers for the project's scripts. Source it; it defines functions only.

# Directory layout, overridable for CI and tests:
#   NOVA_INSTALLER_CACHE  slow-to-build artefacts reused across clones (engine, lab image)
#   NOVA_INSTALLER_STATE  this checkout's state (Pulumi backend, lab hosts, passphrase)
nova_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }
nova_cache_dir() { echo "${NOVA_INSTALLER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nova-installer}"; }
nova_state_dir() { echo "${NOVA_INSTALLER_STATE:-$(nova_root)/.state}"; }

# Prints "[stage] message (+Ns)" so long runs show progress and per-stage timings.
nova_started_at=$SECONDS
nova_log() { printf '[%s] %s (+%ss)\n' "$1" "$2" "$((SECONDS - nova_started_at))" >&2; }
