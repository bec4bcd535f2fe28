package media

import (
	"time"

	"switchboard/audio/codec"
)

// frameClock paces a 20 ms loop by the wall clock rather than by counting
// ticks: a time.Ticker drops ticks when the process is starved, and a
// sender or playout loop that silently loses frames drifts against its
// peer (the far jitter buffer drains or the local one overflows).
type frameClock struct {
	start time.Time
	done  int64 // frames handled since start
}

// frameClockMaxBurst bounds how many frames one tick may make up; after a
// longer stall the clock skips ahead instead (a burst of stale audio helps
// no one).
const frameClockMaxBurst = 5

func newFrameClock(start time.Time) frameClock { return frameClock{start: start} }

// due returns how many frames to handle at now (usually 1, more after a
// stall, 0 if the tick came early).
func (c *frameClock) due(now time.Time) int {
	const frame = codec.FrameMillis * time.Millisecond
	want := int64((now.Sub(c.start) + frame/2) / frame) // rounded: a tick may land a hair early
	n := want - c.done
	if n > frameClockMaxBurst {
		c.done = want - frameClockMaxBurst
		n = frameClockMaxBurst
	}
	if n < 0 {
		n = 0
	}
	c.done += n
	return int(n)
}
