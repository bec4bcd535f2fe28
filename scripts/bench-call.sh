#!/usr/bin/env bash
# Measures one G.711 (PCMU) call between the headless `switchboard cli` and
# baresip through Kamailio on 127.0.0.1, and prints CPU time and peak RSS of
# both side by side (internal/bench, TestMeasureCall). Installs the test peers
# first if missing. Environment: SWITCHBOARD_BENCH_CODEC (PCMU, opus, G722),
# SWITCHBOARD_BENCH_SECONDS (call length,
# default 60), SWITCHBOARD_BENCH_OUT (also write the table to this file).
# Measure on an otherwise idle machine; the table shows the load average.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh test
export PATH="$PATH:/usr/local/go/bin"
export LANG=C.UTF-8
# Never touch a real keyring or session bus.
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
unset DISPLAY

SWITCHBOARD_BENCH=1 go test -count=1 -v -run TestMeasureCall -timeout 10m ./internal/bench/ "$@"
