//go:build cgo && !nospeexdsp

package aec

import (
	"switchboard/audio"
	"switchboard/audio/resample"
)

// Wrap puts c between a call's microphone src and speaker spk. The
// returned Sink passes every frame on to spk and keeps it as the echo
// reference; the returned Source reads src and returns it with the echo of
// that reference (and noise, if enabled) removed.
//
// Both returned ends speak c.Format() (mono at the canceller's rate). When
// src or spk use another format, Wrap converts with audio/resample, so
// the caller writes and reads the canceller's format. The Sink may be
// written from the playout goroutine while the Source is read from the
// send goroutine (one goroutine each); neither takes a lock or allocates
// in steady state. Read the Source in whole 10 ms frames (20 ms is fine)
// for the best cancellation.
func Wrap(src audio.Source, spk audio.Sink, c *Canceller) (audio.Source, audio.Sink) {
	f := c.Format()
	return &source{src: resample.NewSource(src, f), c: c},
		&sink{dst: resample.NewSink(spk, f), c: c}
}

// source is the mic side of Wrap.
type source struct {
	src audio.Source
	c   *Canceller
}

// Format returns the canceller's mono format.
func (s *source) Format() audio.Format { return s.c.Format() }

// Read reads the microphone into p and cancels echo and noise in place.
func (s *source) Read(p []int16) (int, error) {
	n, err := s.src.Read(p)
	if n > 0 {
		if perr := s.c.Process(p[:n]); perr != nil {
			return n, perr
		}
	}
	return n, err
}

// sink is the speaker side of Wrap.
type sink struct {
	dst audio.Sink
	c   *Canceller
}

// Format returns the canceller's mono format.
func (s *sink) Format() audio.Format { return s.c.Format() }

// Write plays p and records it as the echo reference.
func (s *sink) Write(p []int16) (int, error) {
	n, err := s.dst.Write(p)
	s.c.Playback(p[:max(0, min(n, len(p)))])
	return n, err
}
