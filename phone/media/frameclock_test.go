package media

import (
	"testing"
	"time"
)

func TestFrameClock(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := newFrameClock(t0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	steps := []struct {
		at, want int
	}{
		{20, 1}, {39, 1}, // a tick a hair early still counts
		{60, 1}, {60, 0}, // a duplicate tick does nothing
		{120, 3},                   // two skipped ticks are made up
		{1120, frameClockMaxBurst}, // a long stall: bounded burst, then skip
		{1140, 1},
	}
	for _, s := range steps {
		if got := c.due(ms(s.at)); got != s.want {
			t.Fatalf("due at %d ms = %d, want %d", s.at, got, s.want)
		}
	}
}
