package mix

import (
	"testing"
	"time"
)

func TestFrameClockCatchesUpBoundedly(t *testing.T) {
	start := time.Unix(1000, 0)
	c := frameClock{start: start}
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	steps := []struct {
		ms            int
		frames, skips int
	}{
		{20, 1, 0},    // on time
		{39, 1, 0},    // a hair early still counts (rounded)
		{45, 0, 0},    // spurious early tick
		{100, 3, 0},   // starved for 60 ms: make up frames 3, 4, 5
		{300, 5, 5},   // 200 ms stall: at most MaxBurst, the rest skipped
		{320, 1, 0},   // back in step
		{1320, 5, 45}, // one-second stall
	}
	for _, s := range steps {
		n, skipped := c.due(at(s.ms))
		if n != s.frames || skipped != s.skips {
			t.Errorf("at %d ms: %d frames, %d skipped; want %d, %d", s.ms, n, skipped, s.frames, s.skips)
		}
	}
}
