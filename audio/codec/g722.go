//go:build cgo && !nog722

// G.722 needs libspandsp; builds tagged nog722 (the Windows cross-build,
// where Debian ships no mingw spandsp) leave it out of the codec list.

package codec

// G.722 comes from libspandsp through cgo: spandsp's G.722 is a well-kept,
// widely deployed C implementation (FreeSWITCH, Asterisk and baresip use
// it) and no Go module implementing G.722 is served by the Go module proxy.
// The codec state is small and self-contained, so it lives in Go memory
// (spandsp's internal structures are exposed for that) and nothing has to
// be freed: Encode and Decode are one cgo call each and never allocate.

/*
#cgo pkg-config: spandsp
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <stdint.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <spandsp/private/g722.h>
*/
import "C"

import (
	"unsafe"

	"switchboard/audio"
)

// g722Rate is the bit rate we use: mode 1, 64 kbit/s (8 bits per 16 kHz
// sample pair), what every SIP peer expects for payload type 9.
const g722Rate = 64000

// G722 is ITU-T G.722 at 64 kbit/s (RTP static payload type 9): 16 kHz mono
// PCM, one byte per two samples. Per RFC 3551 its RTP clock rate is 8000
// although it samples at 16 kHz, so a 20 ms frame is 320 samples and 160
// timestamp units. It keeps ADPCM state between frames: use one G722 per
// direction of a stream (ByName("G722") returns a fresh one).
type G722 struct {
	enc C.g722_encode_state_t
	dec C.g722_decode_state_t
}

func init() { Register("G722", func() Codec { return NewG722() }) }

// NewG722 returns a G.722 encoder/decoder at 64 kbit/s.
func NewG722() *G722 {
	g := &G722{}
	C.g722_encode_init(&g.enc, g722Rate, 0)
	C.g722_decode_init(&g.dec, g722Rate, 0)
	return g
}

// Name returns "G722".
func (*G722) Name() string { return "G722" }

// ClockRate returns 8000 (RFC 3551's historical G.722 clock).
func (*G722) ClockRate() int { return 8000 }

// Format returns audio.Mono16k.
func (*G722) Format() audio.Format { return audio.Mono16k }

// Encode compresses pcm (16 kHz mono, an even number of samples) into dst,
// one byte per two samples.
func (g *G722) Encode(dst []byte, pcm []int16) (int, error) {
	n := len(pcm) / 2
	if len(dst) < n {
		return 0, ErrShortBuffer
	}
	if len(pcm) == 0 {
		return 0, nil
	}
	m := C.g722_encode(&g.enc, (*C.uint8_t)(unsafe.Pointer(&dst[0])),
		(*C.int16_t)(unsafe.Pointer(&pcm[0])), C.int(n*2))
	return int(m), nil
}

// Decode expands payload into dst, two 16 kHz samples per byte.
func (g *G722) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < 2*len(payload) {
		return 0, ErrShortBuffer
	}
	if len(payload) == 0 {
		return 0, nil
	}
	m := C.g722_decode(&g.dec, (*C.int16_t)(unsafe.Pointer(&dst[0])),
		(*C.uint8_t)(unsafe.Pointer(&payload[0])), C.int(len(payload)))
	return int(m), nil
}
