#!/usr/bin/env bash
# The start command: sets up what a fresh Debian machine lacks, builds every executable
# optimised, and runs a whole node in the foreground (`pakit up`; Ctrl-C stops it).
# Arguments go to `pakit up` (for example `./start.sh --port 7443`).
set -euo pipefail
cd "$(dirname "$0")"

# The block store links libzstd; the toolchain must already be there (swift.org installs it).
tools/setup/ensure-debian-packages.sh libzstd-dev libsqlite3-dev libpq-dev
command -v swift >/dev/null || { echo "error: no Swift toolchain on PATH (Swift 6.2 or newer; see swift.org/install)" >&2; exit 1; }

# Release: the prover's field arithmetic needs the optimiser (docs/design.md, "Optimised builds").
printf '==> building (release)\n'
swift build -c release
exec "$(swift build -c release --show-bin-path)/pakit" up "$@"
