package codec

import "switchboard/audio"

// G.711 (ITU-T G.711, µ-law and A-law) is written here by hand: at the time of
// writing no well-kept pure-Go G.711 module is served by the Go module proxy,
// and the codec is small. The reference algorithms are the classic Sun
// Microsystems g711.c ones (bit-exact with ITU-T G.191's g711 tool); they are
// run once at init to fill lookup tables, so Encode and Decode are a table
// lookup per sample and never allocate.

var (
	ulawDecode [256]int16
	alawDecode [256]int16
	// ulawEncode is indexed by the 14 most significant bits of the sample
	// (µ-law ignores the 2 lowest), alawEncode by the 13 most significant
	// (A-law ignores the 3 lowest); both offset to be non-negative.
	ulawEncode [1 << 14]uint8
	alawEncode [1 << 13]uint8
)

func init() {
	for i := range 256 {
		ulawDecode[i] = ulaw2linear(uint8(i))
		alawDecode[i] = alaw2linear(uint8(i))
	}
	for i := range ulawEncode {
		ulawEncode[i] = linear2ulaw(int16((i - 1<<13) << 2))
	}
	for i := range alawEncode {
		alawEncode[i] = linear2alaw(int16((i - 1<<12) << 3))
	}
}

const (
	g711SignBit   = 0x80
	g711QuantMask = 0x0f
	g711SegShift  = 4
	g711SegMask   = 0x70
	ulawBias      = 0x84
	ulawClip      = 8159
)

var (
	segUEnd = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
	segAEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
)

func segSearch(v int, table *[8]int) int {
	for i, end := range table {
		if v <= end {
			return i
		}
	}
	return 8
}

// linear2ulaw is the reference µ-law encoder (16-bit input).
func linear2ulaw(sample int16) uint8 {
	v := int(sample) >> 2
	mask := 0xFF
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	v = min(v, ulawClip)
	v += ulawBias >> 2
	seg := segSearch(v, &segUEnd)
	if seg >= 8 {
		return uint8(0x7F ^ mask)
	}
	u := seg<<4 | (v>>(seg+1))&0xF
	return uint8(u ^ mask)
}

// ulaw2linear is the reference µ-law decoder.
func ulaw2linear(u uint8) int16 {
	u = ^u
	t := (int(u)&g711QuantMask)<<3 + ulawBias
	t <<= (int(u) & g711SegMask) >> g711SegShift
	if u&g711SignBit != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

// linear2alaw is the reference A-law encoder (16-bit input).
func linear2alaw(sample int16) uint8 {
	v := int(sample) >> 3
	var mask int
	if v >= 0 {
		mask = 0xD5
	} else {
		mask = 0x55
		v = -v - 1
	}
	seg := segSearch(v, &segAEnd)
	if seg >= 8 {
		return uint8(0x7F ^ mask)
	}
	a := seg << g711SegShift
	if seg < 2 {
		a |= (v >> 1) & g711QuantMask
	} else {
		a |= (v >> seg) & g711QuantMask
	}
	return uint8(a ^ mask)
}

// alaw2linear is the reference A-law decoder.
func alaw2linear(a uint8) int16 {
	a ^= 0x55
	t := (int(a) & g711QuantMask) << 4
	seg := (int(a) & g711SegMask) >> g711SegShift
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&g711SignBit != 0 {
		return int16(t)
	}
	return int16(-t)
}

// PCMU is G.711 µ-law (RTP static payload type 0), 8 kHz mono, one byte per
// sample. It is stateless; the zero value is ready to use.
type PCMU struct{}

// Name returns "PCMU".
func (PCMU) Name() string { return "PCMU" }

// ClockRate returns 8000.
func (PCMU) ClockRate() int { return 8000 }

// Format returns audio.Mono8k.
func (PCMU) Format() audio.Format { return audio.Mono8k }

// Encode writes one µ-law byte per sample of pcm into dst.
func (PCMU) Encode(dst []byte, pcm []int16) (int, error) {
	if len(dst) < len(pcm) {
		return 0, ErrShortBuffer
	}
	dst = dst[:len(pcm)]
	for i, s := range pcm {
		dst[i] = ulawEncode[int(s>>2)+1<<13]
	}
	return len(pcm), nil
}

// Decode writes one sample per µ-law byte of payload into dst.
func (PCMU) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < len(payload) {
		return 0, ErrShortBuffer
	}
	dst = dst[:len(payload)]
	for i, b := range payload {
		dst[i] = ulawDecode[b]
	}
	return len(payload), nil
}

// PCMA is G.711 A-law (RTP static payload type 8), 8 kHz mono, one byte per
// sample. It is stateless; the zero value is ready to use.
type PCMA struct{}

// Name returns "PCMA".
func (PCMA) Name() string { return "PCMA" }

// ClockRate returns 8000.
func (PCMA) ClockRate() int { return 8000 }

// Format returns audio.Mono8k.
func (PCMA) Format() audio.Format { return audio.Mono8k }

// Encode writes one A-law byte per sample of pcm into dst.
func (PCMA) Encode(dst []byte, pcm []int16) (int, error) {
	if len(dst) < len(pcm) {
		return 0, ErrShortBuffer
	}
	dst = dst[:len(pcm)]
	for i, s := range pcm {
		dst[i] = alawEncode[int(s>>3)+1<<12]
	}
	return len(pcm), nil
}

// Decode writes one sample per A-law byte of payload into dst.
func (PCMA) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < len(payload) {
		return 0, ErrShortBuffer
	}
	dst = dst[:len(payload)]
	for i, b := range payload {
		dst[i] = alawDecode[b]
	}
	return len(payload), nil
}
