# Offline Pulumi settings, in one place. Source it (scripts/ and bin/pulumi do).
#
# - engine: the bootstrapped engine first on PATH (scripts/bootstrap-engine.sh)
# - state:  a local file backend inside this checkout's state directory; nothing leaves the machine
# - secrets: stack secrets are encrypted with a passphrase read from a file the operator controls
#   (NOVA_INSTALLER_PASSPHRASE_FILE); a random one is created, mode 0600, on first use
# - no update check, no automatic plugin downloads: a missing plugin fails fast and says which
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nova_pulumi_env() {
  local engine_bin state
  engine_bin="$(bash "$(nova_root)/scripts/bootstrap-engine.sh")"
  state="$(nova_state_dir)"
  mkdir -p "$state/backend" "$state/pulumi-home"
  export PATH="$engine_bin:$PATH"
  export PULUMI_HOME="$state/pulumi-home"
  export PULUMI_BACKEND_URL="file://$state/backend"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
  # The program is transpiled, not type-checked, on each run (tsc --noEmit checks it in the test
  # command). Pulumi.yaml's `typescript: false` and `nodeargs` say so too, but the bootstrapped
  # language host (v3.68.0, docs/engine.md) reads them only as flags, which the engine no longer
  # passes: without this, ts-node type-checked the whole project before every run (2-3 s of each
  # no-op, preview and add).
  export PULUMI_NODEJS_TRANSPILE_ONLY=true
  export PULUMI_CONFIG_PASSPHRASE_FILE="${NOVA_INSTALLER_PASSPHRASE_FILE:-$state/passphrase}"
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$PULUMI_CONFIG_PASSPHRASE_FILE")
    nova_log pulumi "created a stack passphrase in $PULUMI_CONFIG_PASSPHRASE_FILE (keep it: it decrypts the stack secrets)"
  fi
}
