#!/usr/bin/env bash
# Installs the named Debian packages that are not installed yet, and nothing else.
# Used by the start command (./start.sh) and the test command (tests/run-all.sh), so a fresh
# Debian machine needs no manual set-up. Installing needs root (or sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: missing Debian packages ${missing[*]}; install them as root" >&2; exit 1; }
    as_root=(sudo)
fi
printf '==> installing %s\n' "${missing[*]}"
"${as_root[@]}" apt-get update -q >/dev/null
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
