#!/usr/bin/env bash
# The packaging checks of the README test command (issue 7), called by
# scripts/test.sh: the Linux tar.xz with a valid URL-handler .desktop, the
# Windows cross-build, the Wine + Xvfb smoke test with its screenshot, and
# the android/arm64 + darwin checks of the packages without cgo. (The
# single-instance link hand-off is a Go test: e2e/handoff_test.go.)
#
# Artifacts go to $SWITCHBOARD_ARTIFACTS (default /tmp/switchboard-artifacts),
# the packages to its dist/ subdirectory, not into the checkout.
# SWITCHBOARD_SKIP_WINDOWS=1 skips the Windows build and Wine (e.g. a quick
# local run; a cold Windows build takes ~15 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh package
export SWITCHBOARD_ARTIFACTS=${SWITCHBOARD_ARTIFACTS:-/tmp/switchboard-artifacts}
export DIST=${DIST:-$SWITCHBOARD_ARTIFACTS/dist}
t0=$(date +%s)
./scripts/package.sh linux
if [ "${SWITCHBOARD_SKIP_WINDOWS:-}" != 1 ]; then
	./scripts/package.sh windows
	./scripts/package.sh wine-smoke
fi
./scripts/package.sh cross-check
echo "== package checks passed in $(($(date +%s) - t0)) s; artifacts in $SWITCHBOARD_ARTIFACTS"
