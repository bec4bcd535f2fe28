package mix_test

import (
	"math"
	"sync"
	"testing"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// Tone frequencies and peak level used throughout: every pair is a whole
// number of cycles in 20 ms, so Goertzel bins over whole frames do not leak
// into each other and what a test measures is the bridge, not the window.
const (
	micHz   = 500
	aHz     = 700
	bHz     = 1100
	cHz     = 1300
	level   = 0.25 // peak, 0..1
	minIsoB = 30.0 // required suppression of a leg's own voice, dB
)

// levelDB is 20·log10(peak) — what Goertzel reports for a clean sine.
var levelDB = 20 * math.Log10(level)

// toneDB returns the level of hz in samples in dB (0 dB = full-scale sine).
func toneDB(samples []int16, rate int, hz float64) float64 {
	p := audio.Goertzel(samples, rate, hz)
	if p < 1e-15 {
		return -150
	}
	return 10 * math.Log10(p)
}

// capture is a Sink recording everything written to it.
type capture struct {
	f   audio.Format
	mu  sync.Mutex
	buf []int16
}

func (c *capture) Format() audio.Format { return c.f }

func (c *capture) Write(p []int16) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	c.mu.Unlock()
	return len(p), nil
}

func (c *capture) samples() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.buf...)
}

// call simulates one phone call on a bridge leg: it "receives" a tone from
// its far end and writes it to the leg's Sink, and records everything it
// reads from the leg's Source (what it would send).
type call struct {
	src  audio.Source
	sink audio.Sink
	gen  *tone.Sine
	in   []int16
	sent []int16
}

func newCall(f audio.Format, src audio.Source, sink audio.Sink, hz float64) *call {
	return &call{src: src, sink: sink, gen: tone.NewSine(f, hz, level), in: make([]int16, f.SamplesPer(20))}
}

// receive writes n samples of the far end's tone to the leg.
func (c *call) receive(t testing.TB, n int) {
	if cap(c.in) < n {
		c.in = make([]int16, n)
	}
	c.gen.Read(c.in[:n])
	if k, err := c.sink.Write(c.in[:n]); k != n || err != nil {
		t.Errorf("sink write: %d, %v", k, err)
	}
}

// send reads n samples from the leg and records them.
func (c *call) send(t testing.TB, n int) {
	start := len(c.sent)
	c.sent = append(c.sent, make([]int16, n)...)
	if k, err := c.src.Read(c.sent[start:]); k != n || err != nil {
		t.Errorf("source read: %d, %v", k, err)
	}
}

// want checks that samples contain each of present at the single-tone
// level (within 1 dB), that every tone in absent is at least minIsoB below
// it, and that the overall RMS is that of len(present) equal sines. It
// returns the worst isolation seen.
func want(t *testing.T, what string, samples []int16, rate int, present, absent []float64) float64 {
	t.Helper()
	for _, hz := range present {
		got := toneDB(samples, rate, hz)
		if math.Abs(got-levelDB) > 1 {
			t.Errorf("%s: %v Hz at %.2f dB, want %.2f ± 1", what, hz, got, levelDB)
		}
		t.Logf("%s: %v Hz at %.3f dB (sent at %.3f)", what, hz, got, levelDB)
	}
	iso := math.Inf(1)
	for _, hz := range absent {
		got := toneDB(samples, rate, hz)
		iso = min(iso, levelDB-got)
		if levelDB-got < minIsoB {
			t.Errorf("%s: %v Hz (must be absent) at %.2f dB, only %.1f dB below the others", what, hz, got, levelDB-got)
		}
	}
	// Equal uncorrelated sines add in power: RMS of k sines of peak a is a·√(k/2).
	wantRMS := 20 * math.Log10(level*math.Sqrt(float64(len(present))/2))
	if got := audio.DBFS(audio.RMS(samples)); math.Abs(got-wantRMS) > 1 {
		t.Errorf("%s: RMS %.2f dBFS, want %.2f ± 1 (sum of %d tones)", what, got, wantRMS, len(present))
	}
	return iso
}
