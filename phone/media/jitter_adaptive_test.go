package media

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// jbSimResult is what an adaptive buffer did over a simulated stream.
type jbSimResult struct {
	st        JitterStats
	maxTarget int
	maxLen    int
	lateTail  uint64 // late packets in the last quarter
	lostTail  uint64 // lost slots in the last quarter
	disorder  int    // FrameOK frames played out of timestamp order
}

// simulateJB sends frames every periodUs microseconds (20000 nominal) for
// durMs, frame k arriving delayMs(k) ms late (negative: dropped), copies
// dup of every 10th packet, and pops every 20 ms, on a 1 ms clock.
func simulateJB(durMs int, periodUs int, delayMs func(k int) int, dup bool) jbSimResult {
	jb := NewAdaptiveJitterBuffer(160, JitterMinFrames, JitterMaxFrames, 16)
	type arr struct{ at, k int }
	var arrivals []arr
	for k := 0; k*periodUs/1000 < durMs; k++ {
		d := delayMs(k)
		if d < 0 {
			continue
		}
		arrivals = append(arrivals, arr{k*periodUs/1000 + d, k})
		if dup && k%10 == 0 {
			arrivals = append(arrivals, arr{k*periodUs/1000 + d + 1, k})
		}
	}
	slices.SortStableFunc(arrivals, func(a, b arr) int { return a.at - b.at })
	var r jbSimResult
	var lastTS uint32
	played := false
	tail := durMs * 3 / 4
	var lateAt, lostAt JitterStats
	i := 0
	for now := 0; now < durMs; now++ {
		for ; i < len(arrivals) && arrivals[i].at <= now; i++ {
			jb.Push(uint32(arrivals[i].k)*160, 0, []byte{1})
		}
		if now == tail {
			lateAt, lostAt = jb.Stats(), jb.Stats()
		}
		if now%20 != 10 {
			continue
		}
		f := jb.Pop()
		if f.Status == FrameOK {
			if played && int32(f.Timestamp-lastTS) <= 0 {
				r.disorder++
			}
			lastTS, played = f.Timestamp, true
		}
		r.maxTarget = max(r.maxTarget, jb.Target())
		r.maxLen = max(r.maxLen, jb.Len())
	}
	r.st = jb.Stats()
	r.lateTail = r.st.Late - lateAt.Late
	r.lostTail = r.st.Lost - lostAt.Lost
	return r
}

func TestAdaptiveJitterBuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	uniform := func(lo, hi int) func(int) int {
		return func(int) int { return lo + rng.IntN(hi-lo+1) }
	}
	tests := []struct {
		name  string
		dur   int // ms
		per   int // µs between frames
		delay func(k int) int
		dup   bool
		check func(t *testing.T, r jbSimResult)
	}{
		{"steady network stays at 40 ms", 5000, 20000, func(int) int { return 5 }, false, func(t *testing.T, r jbSimResult) {
			if r.st.TargetFrames != 2 || r.st.Grown != 0 || r.st.Lost != 0 || r.st.Late != 0 {
				t.Errorf("stats %+v", r.st)
			}
		}},
		{"jitter 0-100 ms grows the delay, then late packets stop", 12000, 20000, uniform(0, 100), false, func(t *testing.T, r jbSimResult) {
			if r.st.TargetFrames <= 2 || r.st.TargetFrames > 10 || r.st.Grown == 0 {
				t.Errorf("target %d grown %d", r.st.TargetFrames, r.st.Grown)
			}
			if r.lateTail > 3 {
				t.Errorf("%d late packets in the last quarter after adapting (%+v)", r.lateTail, r.st)
			}
		}},
		{"jitter of 0-400 ms is capped at 200 ms", 6000, 20000, uniform(0, 400), false, func(t *testing.T, r jbSimResult) {
			if r.maxTarget != 10 {
				t.Errorf("max target %d, want 10", r.maxTarget)
			}
		}},
		{"shrinks back slowly when jitter stops", 30000, 20000, func(k int) int {
			if k < 150 { // 3 s of 0-100 ms jitter, then calm
				return rng.IntN(101)
			}
			return 5
		}, false, func(t *testing.T, r jbSimResult) {
			if r.maxTarget < 4 || r.st.Shrunk == 0 || r.st.TargetFrames >= r.maxTarget || r.st.TargetFrames < 2 {
				t.Errorf("max target %d, now %d, shrunk %d", r.maxTarget, r.st.TargetFrames, r.st.Shrunk)
			}
			// 27 s calm / 5 s per step: back at the minimum.
			if r.st.TargetFrames != 2 {
				t.Errorf("target %d after 27 s of calm, want 2", r.st.TargetFrames)
			}
		}},
		{"duplicates dropped, reordering undone", 4000, 20000, uniform(0, 30), true, func(t *testing.T, r jbSimResult) {
			if r.st.Duplicate == 0 || r.disorder != 0 {
				t.Errorf("duplicates %d, out of order %d", r.st.Duplicate, r.disorder)
			}
		}},
		{"fast sender clock (1% drift) stays bounded", 20000, 19800, func(int) int { return 5 }, false, func(t *testing.T, r jbSimResult) {
			if r.maxLen > r.st.TargetFrames+4 || r.st.Dropped == 0 {
				t.Errorf("max len %d, dropped %d (%+v)", r.maxLen, r.st.Dropped, r.st)
			}
		}},
		{"slow sender clock (1% drift) keeps playing", 20000, 20200, func(int) int { return 5 }, false, func(t *testing.T, r jbSimResult) {
			if r.st.Played < 950 || r.st.Lost > 30 {
				t.Errorf("played %d lost %d (%+v)", r.st.Played, r.st.Lost, r.st)
			}
		}},
		{"random loss does not grow the delay", 10000, 20000, func(k int) int {
			if k%20 == 7 {
				return -1
			}
			return 3
		}, false, func(t *testing.T, r jbSimResult) {
			if r.st.TargetFrames != 2 || r.st.Grown != 0 {
				t.Errorf("target %d grown %d", r.st.TargetFrames, r.st.Grown)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := simulateJB(tc.dur, tc.per, tc.delay, tc.dup)
			t.Logf("%+v max target %d max len %d", r.st, r.maxTarget, r.maxLen)
			tc.check(t, r)
		})
	}
}
