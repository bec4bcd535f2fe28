package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Errors of SendDTMF.
var (
	// ErrNoTelephoneEvent means the peer did not negotiate RFC 4733
	// telephone-event, so digits cannot be sent in-band as events.
	ErrNoTelephoneEvent = errors.New("media: peer did not negotiate telephone-event")
	// ErrBadDigit means a character is not a DTMF digit (0-9 * # A-D).
	ErrBadDigit = errors.New("media: not a DTMF digit")
)

// DTMF timing (RFC 4733 §2.5): a tone of dtmfToneFrames 20 ms updates
// (100 ms), the end packet sent three times, then the rest of a
// dtmfCycleFrames period as a gap before the next digit.
const (
	dtmfToneFrames  = 5 // updates with growing duration; the last has E set
	dtmfEndRepeats  = 2 // extra copies of the end packet
	dtmfCycleFrames = 8 // 160 ms per digit → 60 ms between tone end and next start
	dtmfVolume      = 10
)

// dtmfEvent maps a digit to its RFC 4733 event code.
func dtmfEvent(r rune) (uint8, bool) {
	switch {
	case r >= '0' && r <= '9':
		return uint8(r - '0'), true
	case r == '*':
		return 10, true
	case r == '#':
		return 11, true
	case r >= 'A' && r <= 'D':
		return uint8(12 + r - 'A'), true
	case r >= 'a' && r <= 'd':
		return uint8(12 + r - 'a'), true
	}
	return 0, false
}

// dtmfRune maps an RFC 4733 event code to its digit ('!' for flash).
func dtmfRune(ev uint8) (rune, bool) {
	switch {
	case ev <= 9:
		return rune('0' + ev), true
	case ev == 10:
		return '*', true
	case ev == 11:
		return '#', true
	case ev <= 15:
		return rune('A' + ev - 12), true
	case ev == 16:
		return '!', true
	}
	return 0, false
}

// parseDigits validates digits and returns their event codes.
func parseDigits(digits string) ([]uint8, error) {
	out := make([]uint8, 0, len(digits))
	for _, r := range strings.ReplaceAll(digits, " ", "") {
		ev, ok := dtmfEvent(r)
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrBadDigit, r)
		}
		out = append(out, ev)
	}
	return out, nil
}

// eventPayload builds a 4-byte RFC 4733 payload.
func eventPayload(dst []byte, ev uint8, end bool, duration uint16) []byte {
	dst = dst[:4]
	dst[0] = ev
	dst[1] = dtmfVolume & 0x3f
	if end {
		dst[1] |= 0x80
	}
	binary.BigEndian.PutUint16(dst[2:], duration)
	return dst
}

// dtmfDetector turns received RFC 4733 packets into one digit per event:
// the start, its updates and the (retransmitted) end packets of one event
// share a timestamp, so a digit is reported when a packet with a new, later
// timestamp arrives.
type dtmfDetector struct {
	have   bool
	lastTS uint32
}

// packet processes one telephone-event payload with RTP timestamp ts.
func (d *dtmfDetector) packet(ts uint32, payload []byte) (rune, bool) {
	if len(payload) < 4 {
		return 0, false
	}
	if d.have && int32(ts-d.lastTS) <= 0 {
		return 0, false // same event (update/end/retransmit) or an old one
	}
	r, ok := dtmfRune(payload[0])
	if !ok {
		return 0, false
	}
	d.have, d.lastTS = true, ts
	return r, true
}

// dtmfJob is one SendDTMF call, executed by the send loop.
type dtmfJob struct {
	events  []uint8
	done    chan error // buffered, receives exactly one value
	ctx     context.Context
	idx     int    // current digit
	frame   int    // frame within the digit's cycle
	ts      uint32 // event timestamp (start of the current digit)
	durTS   uint32 // duration of one frame in timestamp units
	endAt   int    // frame that carries the first end packet
	endDur  uint16 // duration reported in the end packets
	aborted bool   // ctx ended: finish the current event and stop
}

// err is the job's result once all frames are done.
func (j *dtmfJob) err() error {
	if j.aborted {
		return j.ctx.Err()
	}
	return nil
}
