#!/usr/bin/env bash
# Makes a Pulumi engine available with nothing reachable but the package registries.
#
# Prints the directory holding `pulumi`, `pulumi-language-nodejs` and the dynamic-provider
# launcher `pulumi-resource-pulumi-nodejs` on stdout; progress goes to stderr.
#
# 1. A `pulumi` on PATH of the pinned version, with a language host beside it or on PATH, is used
#    as it is (an operator's own installation).
# 2. Otherwise the engine is built from the Go module proxy (engine/*/go.mod, hashes pinned in
#    go.sum) into a cache outside the repository, keyed by the versions, and reused afterwards.
#    The build takes minutes on two cores; a cached engine takes well under a second.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly PULUMI_VERSION=v3.248.0
readonly LANGUAGE_HOST_VERSION=v3.68.0
readonly root="$(nova_root)"
readonly engine_dir="$(nova_cache_dir)/engine/pulumi-${PULUMI_VERSION}-nodejs-${LANGUAGE_HOST_VERSION}-r1"

usable_on_path() {
  local pulumi_bin
  pulumi_bin="$(command -v pulumi 2>/dev/null)" || return 1
  [ "$("$pulumi_bin" version 2>/dev/null)" = "$PULUMI_VERSION" ] || return 1
  [ -x "$(dirname "$pulumi_bin")/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null || return 1
  [ -x "$(dirname "$pulumi_bin")/pulumi-resource-pulumi-nodejs" ] || command -v pulumi-resource-pulumi-nodejs >/dev/null || return 1
  dirname "$pulumi_bin"
}

go_build() { # module-dir output-binary package version-variable version
  local module_dir=$1 output=$2 package=$3 version_variable=$4 version=$5
  nova_log engine "building $(basename "$output") $version (module $module_dir)"
  (
    cd "$root/$module_dir"
    # The proxy is the only reachable source; the checksum database is not, so go.sum is the
    # integrity check. GOTOOLCHAIN=local: never download a Go toolchain.
    GOPROXY=https://proxy.golang.org GOSUMDB=off GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 \
      go build -trimpath -o "$output" -ldflags "-s -w -X ${version_variable}=${version}" "$package"
  )
}

build_engine() {
  command -v go >/dev/null || { echo "bootstrap-engine: Go is required to build the Pulumi engine (no 'go' on PATH)" >&2; exit 1; }
  local staging
  staging="$(mktemp -d "$(nova_cache_dir)/engine/.build.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  go_build engine/pulumi "$staging/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "$PULUMI_VERSION"
  go_build engine/language-nodejs "$staging/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "$LANGUAGE_HOST_VERSION"
  # The engine runs TypeScript dynamic providers through this launcher, from the program's
  # directory; ts-node lets the provider load the project's own TypeScript modules.
  cat >"$staging/pulumi-resource-pulumi-nodejs" <<'LAUNCHER'
#!/bin/sh
exec node --require ./node_modules/ts-node/register/transpile-only ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"
LAUNCHER
  chmod 0755 "$staging/pulumi-resource-pulumi-nodejs"
  [ "$("$staging/pulumi" version)" = "$PULUMI_VERSION" ] || { echo "bootstrap-engine: built pulumi does not report $PULUMI_VERSION" >&2; exit 1; }
  # Rename last: an interrupted build never leaves a directory that looks complete.
  rm -rf "$engine_dir"
  mv "$staging" "$engine_dir"
  trap - EXIT
}

main() {
  local on_path
  if on_path="$(usable_on_path)"; then
    nova_log engine "using pulumi $PULUMI_VERSION found on PATH in $on_path"
    echo "$on_path"
    return
  fi
  mkdir -p "$(nova_cache_dir)/engine"
  if [ -x "$engine_dir/pulumi" ] && [ -x "$engine_dir/pulumi-language-nodejs" ]; then
    nova_log engine "cached engine $engine_dir"
  else
    nova_log engine "no cached engine; building pulumi $PULUMI_VERSION from the Go module proxy (several minutes)"
    build_engine
    nova_log engine "engine ready in $engine_dir"
  fi
  echo "$engine_dir"
}

main "$@"
