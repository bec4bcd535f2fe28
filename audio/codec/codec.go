// Package codec holds the voice codecs Switchboard speaks on the wire behind
// one small interface, Codec, and a registry to look them up by their SDP
// encoding name (ByName).
//
// Every codec works on whole frames of 16-bit PCM in its Format. A frame is
// 20 ms: FrameSamples(c) PCM samples and FrameTimestamp(c) RTP timestamp units
// (they differ for codecs such as G.722 whose RTP clock is not their sample
// rate, and for stereo).
package codec

import (
	"errors"
	"sort"
	"strings"
	"sync"

	"switchboard/audio"
)

// FrameMillis is the packet duration Switchboard sends and expects (ptime).
const FrameMillis = 20

// ErrShortBuffer is returned by Encode or Decode when dst cannot hold the
// result.
var ErrShortBuffer = errors.New("codec: destination buffer too short")

// Codec encodes and decodes one voice codec. Implementations may keep state
// between frames (Opus, G.722), so use one Codec per direction of one stream;
// ByName returns a fresh instance on every call.
type Codec interface {
	// Name is the SDP/RTP encoding name, e.g. "PCMU".
	Name() string
	// ClockRate is the RTP timestamp clock rate (the rate in a=rtpmap).
	ClockRate() int
	// Format is the PCM format Encode expects and Decode produces.
	Format() audio.Format
	// Encode compresses pcm (whole frames in Format) into dst and returns the
	// number of bytes written.
	Encode(dst []byte, pcm []int16) (int, error)
	// Decode expands one RTP payload into dst and returns the number of
	// samples written.
	Decode(dst []int16, payload []byte) (int, error)
}

// FrameSamples returns the number of PCM samples (all channels) in one
// FrameMillis frame of c.
func FrameSamples(c Codec) int { return c.Format().SamplesPer(FrameMillis) }

// FrameTimestamp returns how far the RTP timestamp advances per FrameMillis
// frame of c (ClockRate × 20 ms).
func FrameTimestamp(c Codec) uint32 { return uint32(c.ClockRate() * FrameMillis / 1000) }

var (
	regMu    sync.RWMutex
	registry = map[string]func() Codec{}
)

// Register makes a codec available to ByName under name (matched
// case-insensitively). It is meant for init functions; registering a name
// twice replaces the factory.
func Register(name string, factory func() Codec) {
	regMu.Lock()
	defer regMu.Unlock()
	registry[strings.ToUpper(name)] = factory
}

// ByName returns a new instance of the codec whose SDP encoding name is name
// (case-insensitive), e.g. "PCMU" or "pcma".
func ByName(name string) (Codec, bool) {
	regMu.RLock()
	f, ok := registry[strings.ToUpper(name)]
	regMu.RUnlock()
	if !ok {
		return nil, false
	}
	return f(), true
}

// Names lists the registered codec names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func init() {
	Register("PCMU", func() Codec { return PCMU{} })
	Register("PCMA", func() Codec { return PCMA{} })
}
