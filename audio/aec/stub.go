//go:build !cgo || nospeexdsp

package aec

import (
	"errors"

	"switchboard/audio"
)

// This file stands in where libspeexdsp is not linked (builds tagged
// nospeexdsp, such as the Windows cross-build, or without cgo): New
// reports that echo cancellation is unavailable and the app uses the
// sound device directly.

// FrameMillis is the canceller's internal frame length.
const FrameMillis = 10

// DefaultTailMillis is the echo tail covered when Options gives none.
const DefaultTailMillis = 200

// ErrUnavailable is returned by New in builds without speexdsp.
var ErrUnavailable = errors.New("aec: echo cancellation is not part of this build")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("aec: canceller closed")

// Options selects the processing stages.
type Options struct {
	Echo       bool
	Noise      bool
	AGC        bool
	TailMillis int
}

// Canceller is never created in this build.
type Canceller struct{ rate int }

// New always fails with ErrUnavailable here.
func New(rate int, opts Options) (*Canceller, error) { return nil, ErrUnavailable }

// Wrap returns src and spk unchanged.
func Wrap(src audio.Source, spk audio.Sink, c *Canceller) (audio.Source, audio.Sink) { return src, spk }

// Rate is the sample rate.
func (c *Canceller) Rate() int { return c.rate }

// Format is the canceller's audio format.
func (c *Canceller) Format() audio.Format { return audio.Format{Rate: c.rate, Channels: 1} }

// SetEnabled does nothing here.
func (c *Canceller) SetEnabled(echo, noise bool) {}

// Enabled reports both stages off.
func (c *Canceller) Enabled() (echo, noise bool) { return false, false }

// Reset does nothing here.
func (c *Canceller) Reset() {}

// Playback does nothing here.
func (c *Canceller) Playback(far []int16) {}

// Process leaves mic unchanged.
func (c *Canceller) Process(mic []int16) error { return nil }

// Close does nothing here.
func (c *Canceller) Close() error { return nil }
