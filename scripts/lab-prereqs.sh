#!/usr/bin/env bash
# Installs what the lab needs on this machine (Debian/Ubuntu), only the parts that are missing,
# so CI machines that start with nothing installed by hand can run `nova-installer lab up`.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "lab-prereqs: must run as root (it installs packages)" >&2
  exit 1
fi

# program -> Debian package; keep in step with lab/prereqs.ts (qemu aside, see below).
declare -A package_of=(
  [debootstrap]=debootstrap
  [systemd-nspawn]=systemd-container
  [ssh-keygen]=openssh-client
  [ip]=iproute2
  # Not in lab/prereqs.ts: the lab's hosts do not need it; test/lab/guest-image.test.ts boots the
  # test guest (guest/) with it directly, and checks for it itself.
  [qemu-system-x86_64]=qemu-system-x86
)

missing=()
for program in "${!package_of[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${package_of[$program]}")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "lab-prereqs: nothing to install"
  exit 0
fi

echo "lab-prereqs: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
