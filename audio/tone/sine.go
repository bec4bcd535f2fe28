// Package tone generates the sounds a phone makes by itself: test sines,
// ringback, ringtones and DTMF feedback. Every generator is an audio.Source.
package tone

import (
	"math"

	"switchboard/audio"
)

// Sine is an endless sine-wave Source (mono or multi-channel, every channel
// equal). Level is the peak amplitude, 0..1.
type Sine struct {
	F     audio.Format
	Hz    float64
	Level float64
	phase float64
}

// NewSine returns a Sine of hz at level (peak, 0..1) in format f.
func NewSine(f audio.Format, hz, level float64) *Sine {
	return &Sine{F: f, Hz: hz, Level: level}
}

// Format returns the generator's format.
func (s *Sine) Format() audio.Format { return s.F }

// Read fills p with the next samples of the sine.
func (s *Sine) Read(p []int16) (int, error) {
	ch := max(1, s.F.Channels)
	step := 2 * math.Pi * s.Hz / float64(s.F.Rate)
	for i := 0; i+ch <= len(p); i += ch {
		v := int16(s.Level * 32767 * math.Sin(s.phase))
		for c := 0; c < ch; c++ {
			p[i+c] = v
		}
		s.phase += step
		if s.phase > 2*math.Pi {
			s.phase -= 2 * math.Pi
		}
	}
	return len(p) - len(p)%ch, nil
}
