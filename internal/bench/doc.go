// Package bench measures what a call costs: TestMeasureCall places a real
// G.711 (PCMU) call between the headless `switchboard cli` and baresip
// through Kamailio, all on 127.0.0.1, and reports the CPU time and peak
// resident memory of both user agents side by side, read from /proc.
//
// The measurement takes a minute, so it is skipped unless
// SWITCHBOARD_BENCH=1:
//
//	SWITCHBOARD_BENCH=1 go test -count=1 -v -run TestMeasureCall ./internal/bench/
//
// or scripts/bench-call.sh. SWITCHBOARD_BENCH_SECONDS sets the call length
// (default 60) and SWITCHBOARD_BENCH_OUT names a file that receives the
// result table as well. Linux only (it reads /proc).
package bench
