// Package audio holds the types every part of Switchboard's sound path shares:
// the PCM format, the Source and Sink interfaces that codecs, devices, WAV files
// and tone generators implement, and small measuring helpers (level, tone
// detection) used by meters and tests.
//
// Pipeline of a call (plain SIP):
//
//	mic device ─► ring ─► resample ─► encoder ─► RTP ─► network
//	speaker ◄─ ring ◄─ resample ◄─ decoder ◄─ jitter buffer ◄─ RTP ◄─ network
//
// Samples are signed 16-bit, interleaved when Channels > 1. Everything in this
// package is pure Go and may be imported by any layer.
package audio

// Format describes a PCM stream.
type Format struct {
	Rate     int // samples per second per channel
	Channels int // 1 = mono, 2 = stereo (interleaved)
}

// Mono8k is narrowband telephone audio (G.711).
var Mono8k = Format{Rate: 8000, Channels: 1}

// Mono16k is wideband telephone audio (G.722).
var Mono16k = Format{Rate: 16000, Channels: 1}

// Mono48k is the rate most sound cards and Opus run at.
var Mono48k = Format{Rate: 48000, Channels: 1}

// SamplesPer returns the number of samples (all channels) in ms milliseconds.
func (f Format) SamplesPer(ms int) int { return f.Rate * f.Channels * ms / 1000 }

// Source produces PCM audio in its Format. Read fills p (a whole number of
// frames) and returns how many samples it wrote. A live source that has
// nothing yet writes silence rather than blocking for long; io.EOF ends a
// finite source.
type Source interface {
	Format() Format
	Read(p []int16) (int, error)
}

// Sink consumes PCM audio in its Format. Write must not block for long; a
// sink that cannot keep up drops audio and counts it.
type Sink interface {
	Format() Format
	Write(p []int16) (int, error)
}

// Discard is a Sink that drops everything (used when a call is held or no
// speaker is wanted).
type Discard struct{ F Format }

// Format returns the discard sink's nominal format.
func (d Discard) Format() Format { return d.F }

// Write drops p.
func (d Discard) Write(p []int16) (int, error) { return len(p), nil }

// Silence is a Source of zero samples.
type Silence struct{ F Format }

// Format returns the silence source's format.
func (s Silence) Format() Format { return s.F }

// Read fills p with zeros.
func (s Silence) Read(p []int16) (int, error) {
	clear(p)
	return len(p), nil
}
