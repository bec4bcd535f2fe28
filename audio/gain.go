package audio

import (
	"math"
	"sync"
	"sync/atomic"
)

// Gain is a level control safe to change from any goroutine while audio
// runs (mic gain, speaker volume). The zero value is unity.
type Gain struct {
	bits atomic.Uint64 // math.Float64bits of the factor; 0 means 1.0
}

// Set sets the factor (1 = unchanged, 0.5 = -6 dB); negative counts as 0.
func (g *Gain) Set(f float64) {
	if f == 1 {
		g.bits.Store(0)
		return
	}
	g.bits.Store(math.Float64bits(max(f, 0)) | 1<<63) // tag: set (the sign bit is never a real factor's)
}

// Factor returns the current factor.
func (g *Gain) Factor() float64 {
	b := g.bits.Load()
	if b == 0 {
		return 1
	}
	return math.Float64frombits(b &^ (1 << 63))
}

// Scale multiplies p by f in place, saturating at full scale instead of
// wrapping around. Hand-written: a multiply and a clamp per sample.
func Scale(p []int16, f float64) {
	if f == 1 {
		return
	}
	for i, v := range p {
		x := float64(v) * f
		switch {
		case x > math.MaxInt16:
			p[i] = math.MaxInt16
		case x < math.MinInt16:
			p[i] = math.MinInt16
		default:
			p[i] = int16(math.Round(x))
		}
	}
}

// GainSource applies g to everything read from src.
type GainSource struct {
	Src Source
	G   *Gain
}

// Format is the source's format.
func (s GainSource) Format() Format { return s.Src.Format() }

// Read reads from the source and scales what it got.
func (s GainSource) Read(p []int16) (int, error) {
	n, err := s.Src.Read(p)
	Scale(p[:max(0, n)], s.G.Factor())
	return n, err
}

// GainSink applies g to everything written to sink. It scales a copy in
// its own buffer (so the caller's samples stay as they were); writers may
// be several goroutines (calls, tones), so the buffer is guarded.
type GainSink struct {
	Sink Sink
	G    *Gain
	mu   sync.Mutex
	buf  []int16
}

// Format is the sink's format.
func (s *GainSink) Format() Format { return s.Sink.Format() }

// Write scales p into its buffer and writes that.
func (s *GainSink) Write(p []int16) (int, error) {
	f := s.G.Factor()
	if f == 1 {
		return s.Sink.Write(p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(s.buf) < len(p) {
		s.buf = make([]int16, len(p))
	}
	b := s.buf[:len(p)]
	copy(b, p)
	Scale(b, f)
	return s.Sink.Write(b)
}
