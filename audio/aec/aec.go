//go:build cgo && !nospeexdsp

// Package aec removes the far end's voice from the microphone (acoustic echo
// cancellation) and reduces steady background noise, so that a caller on
// laptop speakers does not hear themselves back.
//
// The work is done by libspeexdsp through cgo: its MDF adaptive filter
// (speex_echo_cancellation) cancels the linear echo, and its preprocessor
// (speex_preprocess_run, with the echo state attached through
// SPEEX_PREPROCESS_SET_ECHO_STATE) suppresses the residual echo and the
// noise. Nothing in this package implements DSP itself except two things no
// library does for us: moving far-end frames from the playback thread to
// the capture thread (audio/ring), and the short linear cross-fades that
// make run-time switching click-free.
//
// Audio is mono 16-bit at 8000, 16000 or 48000 Hz, processed in 10 ms
// frames with an echo tail of 200 ms by default. AGC is off unless asked
// for.
//
// Use: create one Canceller per audio path and wrap the device's mic and
// speaker with it (see ExampleWrap):
//
//	c, err := aec.New(48000, aec.Options{Echo: true, Noise: true})
//	src, spk := aec.Wrap(stream.Source(), stream.Sink(), c)
//	// the call reads src and writes spk; a settings toggle calls
//	// c.SetEnabled(echo, noise); c.Close() when the devices close.
//
// Threading: speexdsp's speex_echo_playback and speex_echo_capture (called
// as frames are queued to and taken from the sound card) share play_buf and
// play_buf_pos without any synchronisation, so calling them from the
// playback and capture threads would be a data race. Instead the playback
// side only copies its frames into a lock-free SPSC ring
// (Canceller.Playback), and every speexdsp call happens on the capture side
// (Canceller.Process), which takes one frame of reference per mic frame and
// calls speex_echo_cancellation.
//
// Limits: the reference is taken when a frame is written to the wrapped
// speaker, so the speaker's queue, the hardware buffers and the room
// together must delay the echo by less than the tail (and, as always, by
// more than nothing: the reference must not arrive after its echo, which is
// why the reference queue is kept short). The filter is linear; the
// preprocessor's residual-echo suppression takes care of some, not all, of
// a small loudspeaker's distortion. When capture and playback devices run
// on different clocks the drift is absorbed by dropping reference samples
// now and then, after which the filter re-adapts for a moment.
package aec

/*
#cgo pkg-config: speexdsp
#include <stdlib.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static int sb_pp_set_int(SpeexPreprocessState *st, int req, int v) {
	return speex_preprocess_ctl(st, req, &v);
}
static int sb_pp_set_echo(SpeexPreprocessState *st, SpeexEchoState *echo) {
	return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
}
static int sb_echo_set_rate(SpeexEchoState *st, int rate) {
	return speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"switchboard/audio"
	"switchboard/audio/ring"
)

// FrameMillis is the length of the frames the canceller processes.
const FrameMillis = 10

// DefaultTailMillis is the echo tail used when Options.TailMillis is 0: long
// enough for a room's reverberation plus the device buffers.
const DefaultTailMillis = 200

// NoiseSuppressDB is the most the noise suppressor attenuates noise by
// (speexdsp's SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, negative dB).
const NoiseSuppressDB = -25

// The reference ring is kept as short as the scheduling allows, because
// the one failure an echo canceller cannot recover from is a reference that
// arrives after its echo. Playback and capture run on different loops, so
// the ring's level wobbles; the capture side tracks its lowest level over
// trimWindow frames and drops whatever stayed queued beyond trimMargin. A
// reference that runs dry is padded with silence (the device's own ring
// does the same with late audio). maxLagFrames is a hard cap for when the
// capture side stalls (held call, paused send loop).
const (
	trimWindow   = 100 // frames (1 s)
	trimMargin   = 1   // frames of slack kept against scheduling jitter
	maxLagFrames = 30  // frames (300 ms)
)

// ErrClosed is returned by Process after Close.
var ErrClosed = errors.New("aec: canceller closed")

// ErrConcurrent is returned by Process when another Process call on the
// same Canceller is still running (there must be one capture goroutine).
var ErrConcurrent = errors.New("aec: Process called from two goroutines at once")

// Options selects what the canceller does.
type Options struct {
	Echo       bool // cancel acoustic echo of the far end
	Noise      bool // suppress stationary background noise
	AGC        bool // speexdsp automatic gain control (off by default)
	TailMillis int  // echo tail length; 0 means DefaultTailMillis
}

// Canceller is one echo canceller and noise suppressor for one mono stream.
// Playback may be called from one goroutine (the speaker side) while
// Process is called from another (the mic side); SetEnabled and Enabled
// from any goroutine.
type Canceller struct {
	rate  int
	frame int

	echo *C.SpeexEchoState
	pp   *C.SpeexPreprocessState

	far *ring.Buffer

	// want holds the requested mode bits (modeEcho|modeNoise); cur is the
	// mode the capture side last applied. Only Process touches cur.
	want atomic.Uint32
	cur  uint32
	// noiseSet is the noise-suppress level last given to the preprocessor.
	noiseSet bool
	// reset asks the capture side to restart the echo filter.
	reset atomic.Bool

	// state: bit 0 = closed, bit 1 = Process running. Close frees the C
	// state itself, or leaves it to the running Process.
	state atomic.Uint32

	ref, tmp, out, raw []int16 // capture-side scratch, one frame each

	// Reference trimming (capture side only): lowest slack seen in the
	// current window, and frames left in it.
	minSlack  int
	trimCount int
}

const (
	modeEcho  = 1
	modeNoise = 2

	stClosed = 1
	stBusy   = 2
)

// New returns a Canceller for mono audio at rate (8000, 16000 or 48000 Hz).
func New(rate int, opts Options) (*Canceller, error) {
	switch rate {
	case 8000, 16000, 48000:
	default:
		return nil, fmt.Errorf("aec: unsupported sample rate %d (want 8000, 16000 or 48000)", rate)
	}
	tail := opts.TailMillis
	if tail == 0 {
		tail = DefaultTailMillis
	}
	if tail < 2*FrameMillis || tail > 1000 {
		return nil, fmt.Errorf("aec: tail %d ms out of range (%d..1000)", tail, 2*FrameMillis)
	}
	frame := rate * FrameMillis / 1000
	c := &Canceller{
		rate:  rate,
		frame: frame,
		far:   ring.New(frame * (maxLagFrames + 8)),
		ref:   make([]int16, frame),
		tmp:   make([]int16, frame),
		out:   make([]int16, frame),
		raw:   make([]int16, frame),
	}
	c.echo = C.speex_echo_state_init(C.int(frame), C.int(rate*tail/1000))
	if c.echo == nil {
		return nil, errors.New("aec: speex_echo_state_init failed")
	}
	C.sb_echo_set_rate(c.echo, C.int(rate))
	c.pp = C.speex_preprocess_state_init(C.int(frame), C.int(rate))
	if c.pp == nil {
		C.speex_echo_state_destroy(c.echo)
		return nil, errors.New("aec: speex_preprocess_state_init failed")
	}
	// Denoise stays on whenever the preprocessor runs: speexdsp only
	// applies its residual-echo suppression through the denoise gains.
	// Whether noise is actually suppressed is set by the noise-suppress
	// level (see applyNoise).
	C.sb_pp_set_int(c.pp, C.SPEEX_PREPROCESS_SET_DENOISE, 1)
	agc := 0
	if opts.AGC {
		agc = 1
	}
	C.sb_pp_set_int(c.pp, C.SPEEX_PREPROCESS_SET_AGC, C.int(agc))
	C.sb_pp_set_int(c.pp, C.SPEEX_PREPROCESS_SET_DEREVERB, 0)
	c.cur = mode(opts.Echo, opts.Noise)
	c.want.Store(c.cur)
	c.applyEcho(c.cur&modeEcho != 0)
	c.applyNoise(c.cur&modeNoise != 0)
	return c, nil
}

func mode(echo, noise bool) uint32 {
	var m uint32
	if echo {
		m |= modeEcho
	}
	if noise {
		m |= modeNoise
	}
	return m
}

// Rate returns the sample rate in Hz.
func (c *Canceller) Rate() int { return c.rate }

// Format returns the mono format the canceller works in.
func (c *Canceller) Format() audio.Format { return audio.Format{Rate: c.rate, Channels: 1} }

// FrameSize returns the samples in one 10 ms processing frame. Process and
// the wrapped Source work best on multiples of it.
func (c *Canceller) FrameSize() int { return c.frame }

// SetEnabled switches echo cancellation and noise suppression at run time.
// It is safe from any goroutine; the change takes effect at the next frame
// Process handles, cross-faded over that frame so it does not click. With
// both off the mic passes through unchanged, but the filters keep learning
// (the echo path and the noise floor), so turning them back on works at
// once. The preprocessor (noise and residual echo) delays what it passes by
// one 10 ms frame; the cross-fade hides the jump.
func (c *Canceller) SetEnabled(echo, noise bool) { c.want.Store(mode(echo, noise)) }

// Enabled reports the requested echo and noise settings.
func (c *Canceller) Enabled() (echo, noise bool) {
	m := c.want.Load()
	return m&modeEcho != 0, m&modeNoise != 0
}

// Reset makes the echo canceller forget the echo path it has learnt, at
// the next frame Process handles; call it after switching the speaker or
// the microphone to another device. Safe from any goroutine.
func (c *Canceller) Reset() { c.reset.Store(true) }

// Playback records far-end audio (what is being sent to the speaker) as the
// echo reference. Call it from one goroutine only, in the order the audio
// is played. It never blocks or allocates; if the capture side has stopped
// taking reference, the excess is dropped.
func (c *Canceller) Playback(far []int16) { c.far.Write(far) }

// Process cancels echo and noise in mic (captured audio, in place). Call it
// from one goroutine only. A length that is not a multiple of FrameSize is
// accepted, but the last partial frame is processed zero-padded, which
// costs the canceller some accuracy. It does not allocate.
func (c *Canceller) Process(mic []int16) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	for len(mic) > 0 {
		n := min(len(mic), c.frame)
		if n == c.frame {
			c.processFrame(mic[:n], n)
		} else {
			copy(c.raw, mic[:n])
			clear(c.raw[n:])
			c.processFrame(c.raw, n)
			copy(mic[:n], c.raw[:n])
		}
		mic = mic[n:]
	}
	return nil
}

func (c *Canceller) enter() error {
	for {
		s := c.state.Load()
		switch {
		case s&stClosed != 0:
			return ErrClosed
		case s&stBusy != 0:
			return ErrConcurrent
		}
		if c.state.CompareAndSwap(s, s|stBusy) {
			return nil
		}
	}
}

func (c *Canceller) leave() {
	for {
		s := c.state.Load()
		if c.state.CompareAndSwap(s, s&^stBusy) {
			if s&stClosed != 0 {
				c.free()
			}
			return
		}
	}
}

// Close releases the speexdsp state. It is safe to call while Process is
// running on another goroutine (the state is freed when Process returns)
// and more than once.
func (c *Canceller) Close() error {
	for {
		s := c.state.Load()
		if s&stClosed != 0 {
			return nil
		}
		if c.state.CompareAndSwap(s, s|stClosed) {
			if s&stBusy == 0 {
				c.free()
			}
			return nil
		}
	}
}

func (c *Canceller) free() {
	if c.pp != nil {
		C.speex_preprocess_state_destroy(c.pp)
		c.pp = nil
	}
	if c.echo != nil {
		C.speex_echo_state_destroy(c.echo)
		c.echo = nil
	}
}

// takeRef fills c.ref with the next n samples of far-end reference (zeros
// where none has arrived), keeping the queue short (see trimWindow).
func (c *Canceller) takeRef(n int) {
	l := c.far.Len()
	if l > maxLagFrames*c.frame {
		c.far.Discard(l - (trimMargin*c.frame + n))
		l = c.far.Len()
		c.trimCount = 0
	}
	if c.trimCount == 0 {
		c.minSlack, c.trimCount = l, trimWindow
	}
	c.minSlack = min(c.minSlack, l-n)
	if c.trimCount--; c.trimCount == 0 && c.minSlack > trimMargin*c.frame {
		c.far.Discard(c.minSlack - trimMargin*c.frame)
	}
	got := c.far.Read(c.ref[:n])
	clear(c.ref[got:])
}

// applyEcho attaches the echo state to the preprocessor (residual echo
// suppression) or detaches it.
func (c *Canceller) applyEcho(on bool) {
	if on {
		C.sb_pp_set_echo(c.pp, c.echo)
	} else {
		C.sb_pp_set_echo(c.pp, nil)
	}
}

// applyNoise sets how far the preprocessor may pull noise down: the full
// NoiseSuppressDB when noise suppression is on, nothing (0 dB) when the
// preprocessor only runs for residual echo.
func (c *Canceller) applyNoise(on bool) {
	db := 0
	if on {
		db = NoiseSuppressDB
	}
	C.sb_pp_set_int(c.pp, C.SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, C.int(db))
	c.noiseSet = on
}

// processFrame runs one full frame x in place; only the first n samples
// are real audio (the rest is zero padding).
func (c *Canceller) processFrame(x []int16, n int) {
	if c.reset.Swap(false) {
		C.speex_echo_state_reset(c.echo)
		C.sb_echo_set_rate(c.echo, C.int(c.rate))
	}
	c.takeRef(n)
	want, was := c.want.Load(), c.cur
	c.cur = want
	echoOn, echoWas := want&modeEcho != 0, was&modeEcho != 0
	ppOn, ppWas := want != 0, was != 0

	if echoOn && !echoWas {
		c.applyEcho(true)
	}
	// The echo filter runs even while echo cancellation is off (its output
	// is then unused) so it keeps adapting and switching it back on is
	// instant and free of stale-filter artefacts.
	C.speex_echo_cancellation(c.echo, (*C.spx_int16_t)(unsafe.Pointer(&x[0])),
		(*C.spx_int16_t)(unsafe.Pointer(&c.ref[0])), (*C.spx_int16_t)(unsafe.Pointer(&c.out[0])))
	blend(x, c.out, echoWas, echoOn)
	if noise := want&modeNoise != 0; ppOn && noise != c.noiseSet {
		c.applyNoise(noise)
	}
	if ppOn || ppWas {
		copy(c.tmp, x)
		C.speex_preprocess_run(c.pp, (*C.spx_int16_t)(unsafe.Pointer(&c.tmp[0])))
		blend(x, c.tmp, ppWas, ppOn)
	} else {
		// Keep the preprocessor's noise estimate and overlap memory
		// current without computing output, so that turning it on does
		// not splice in a stale frame (which clicks).
		C.speex_preprocess_estimate_update(c.pp, (*C.spx_int16_t)(unsafe.Pointer(&x[0])))
	}
	if echoWas && !echoOn {
		c.applyEcho(false)
	}
}

// blend replaces x with a stage's output y: all of y while the stage stays
// on, and a linear cross-fade between x and y over the frame when it is
// switched on or off, so toggling never makes a step in the waveform.
func blend(x, y []int16, was, on bool) {
	switch {
	case was && on:
		copy(x, y)
	case on: // fade the stage in
		n := float32(len(x))
		for i := range x {
			w := float32(i+1) / n
			x[i] = int16((1-w)*float32(x[i]) + w*float32(y[i]))
		}
	case was: // fade the stage out
		n := float32(len(x))
		for i := range x {
			w := float32(i+1) / n
			x[i] = int16(w*float32(x[i]) + (1-w)*float32(y[i]))
		}
	}
}
