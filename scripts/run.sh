#!/usr/bin/env bash
# Builds and starts Switchboard from this checkout. Installs the build
# packages a fresh Debian/Ubuntu machine lacks first. The first build
# compiles Fyne's and miniaudio's C code and takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH="$PATH:/usr/local/go/bin"
exec go run . "$@"
