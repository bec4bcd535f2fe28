#!/usr/bin/env bash
# Runs Switchboard's whole test suite: unit tests, fuzz seeds, and the
# integration tests against real Kamailio (with websocket), rtpengine,
# baresip, sipp and JsSIP in headless Chromium on loopback.
# Installs what a fresh Debian/Ubuntu machine lacks first (apt packages,
# Go modules). Extra arguments go to `go test` (e.g. -run TestRegister).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh test
# JsSIP, playwright-core and esbuild for the browser peer, outside the repo.
./scripts/webrtc-js.sh
export PATH="$PATH:/usr/local/go/bin"
export LANG=C.UTF-8
# Tests must never touch a real keyring or session bus.
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
unset DISPLAY

go mod download

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed:"; echo "$bad"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== packages"
# Linux tar.xz + .desktop check, Windows cross-build, Wine smoke test with a
# screenshot, android/darwin compile checks (scripts/package-test.sh).
# SWITCHBOARD_SKIP_PACKAGE=1 skips them for a quick local run.
if [ "${SWITCHBOARD_SKIP_PACKAGE:-}" != 1 ]; then
	./scripts/package-test.sh
fi

echo "== go test"
# One package at a time: the real-peer and GUI tests listen to real-time audio
# and must not compete with each other for the CPU.
go test -race -p 1 -timeout 40m -count=1 "$@" ./...
