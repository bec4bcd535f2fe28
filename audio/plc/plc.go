//go:build cgo && !nospandsp && !nog722

// Package plc conceals lost packets for codecs that have no concealment of
// their own (G.711 and G.722): instead of repeating the last frame at falling
// gain, it repeats the last pitch period of the speech, joined smoothly to
// what was heard, fading to silence over 50 ms of continuous loss, and
// blends the next good frame in so resuming does not click.
//
// The work is done by libspandsp's plc_* API (plc_init, plc_rx, plc_fillin,
// plc_release) through cgo; FreeSWITCH's core calls the same functions, and
// Asterisk's generic PLC is a copy of this code. Its state is small and
// self-contained, so it lives in Go memory and no call allocates.
//
// spandsp's concealer counts in samples and was tuned for 8 kHz: it
// searches pitch periods of 40..120 samples (fundamentals of 67..200 Hz;
// higher voices repeat two or three periods) and fades by 0.0025 per sample,
// 50 ms. It has no notion of sample rate. For G.722 we run it on the 16 kHz
// signal directly, with two honest caveats:
//   - the pitch search then covers fundamentals of 133..400 Hz; a voice
//     below 133 Hz is repeated at the best-matching shorter lag, which is
//     not its true period and sounds rougher than at 8 kHz;
//   - left alone its fade would last only 25 ms, so a tiny C helper below
//     (sb_plc_fill16) feeds plc_fillin two samples at a time and counts the
//     gap in 8 kHz time, which keeps spandsp's own 50 ms fade. That helper
//     touches spandsp's exposed plc_state_t.missing_samples; it is the only
//     hand-written part of the concealment.
//
// Tried and dropped: running two 8 kHz concealers on the even and odd
// samples (a per-band split that restores the 67..200 Hz pitch range and
// the fade). Pitch and level came out right, but spandsp starts every gap
// by blending in the time-reversed last quarter period, and reversing the
// two halves separately swaps each pair of 16 kHz samples: a click of
// about twice the signal's own largest step at the start of every gap.
package plc

/*
#cgo pkg-config: spandsp
#include <stdint.h>
#include <spandsp/telephony.h>
#include <spandsp/plc.h>

// sb_plc_fill16 is plc_fillin for 16 kHz audio with the fade measured in
// 8 kHz time. The caller guarantees len >= PLC_PITCH_OVERLAP_MAX when a gap
// starts (plc_fillin then writes a pitch/4 overlap regardless of len).
static void sb_plc_fill16(plc_state_t *s, int16_t *amp, int len) {
	int i = 0;
	if (s->missing_samples == 0) {
		plc_fillin(s, amp, PLC_PITCH_OVERLAP_MAX);
		// Past the overlap plc_fillin has started fading at 16 kHz speed;
		// carry on from the gain it reached. Never 0: that means "new gap".
		int past = PLC_PITCH_OVERLAP_MAX - (s->pitch >> 2);
		s->missing_samples = past > 1 ? past : 1;
		i = PLC_PITCH_OVERLAP_MAX;
	}
	for (; i < len; i += 2) {
		int n = len - i < 2 ? len - i : 2;
		plc_fillin(s, amp + i, n);
		s->missing_samples -= 1; // two 16 kHz samples = one step of the 8 kHz fade
	}
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// overlapMax is spandsp's PLC_PITCH_OVERLAP_MAX: the first fill of a gap
// writes up to this many samples whatever length it is asked for, so a
// shorter first request is served from a scratch buffer.
const overlapMax = C.PLC_PITCH_OVERLAP_MAX

// Concealer fills in lost frames of one decoded stream. Use one per
// stream, from one goroutine.
type Concealer struct {
	st   C.plc_state_t
	rate int
	// lost counts consecutive concealed samples (0 after a good frame).
	lost int
	// pend holds synthetic samples made for a short first fill but not yet
	// handed out (served first by the next Fill).
	pend    [overlapMax]int16
	pendOff int
	pendEnd int
}

// New returns a Concealer for mono audio at rate: 8000 (G.711) or 16000
// (G.722).
func New(rate int) (*Concealer, error) {
	if rate != 8000 && rate != 16000 {
		return nil, fmt.Errorf("plc: unsupported sample rate %d (want 8000 or 16000)", rate)
	}
	c := &Concealer{rate: rate}
	C.plc_init(&c.st)
	return c, nil
}

// Rate returns the sample rate in Hz.
func (c *Concealer) Rate() int { return c.rate }

// Lost returns how many samples have been concealed since the last good
// frame.
func (c *Concealer) Lost() int { return c.lost }

// Good records a correctly decoded frame; call it for every one, in order.
// After a loss it rewrites the start of pcm (about a quarter pitch period)
// to blend from the concealment into the real audio, so play pcm after
// calling Good.
func (c *Concealer) Good(pcm []int16) {
	c.pendOff, c.pendEnd = 0, 0
	c.lost = 0
	if len(pcm) == 0 {
		return
	}
	C.plc_rx(&c.st, (*C.int16_t)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)))
}

// Fill writes a stand-in for a lost frame into dst. Consecutive losses
// continue the same synthetic signal, fading to silence over about 50 ms.
// Before any good frame it writes silence.
func (c *Concealer) Fill(dst []int16) {
	c.lost += len(dst)
	n := copy(dst, c.pend[c.pendOff:c.pendEnd])
	c.pendOff += n
	dst = dst[n:]
	if len(dst) == 0 {
		return
	}
	if c.st.missing_samples == 0 && len(dst) < overlapMax {
		c.fill(c.pend[:])
		c.pendOff = copy(dst, c.pend[:])
		c.pendEnd = overlapMax
		return
	}
	c.fill(dst)
}

func (c *Concealer) fill(dst []int16) {
	p := (*C.int16_t)(unsafe.Pointer(&dst[0]))
	if c.rate == 16000 {
		C.sb_plc_fill16(&c.st, p, C.int(len(dst)))
	} else {
		C.plc_fillin(&c.st, p, C.int(len(dst)))
	}
}

// Close releases the concealer. The state lives in Go memory, so this only
// calls spandsp's plc_release for form; it is safe to call more than once.
func (c *Concealer) Close() error {
	C.plc_release(&c.st)
	return nil
}
