//go:build cgo

package codec

// Opus comes from libopus through cgo (gopkg.in/hraban/opus.v2): libopus is
// the reference implementation of RFC 6716, kept by Xiph and shipped by
// every distribution, and there is no complete pure-Go Opus encoder (the
// pure-Go decoders cover only part of the SILK/CELT modes). The encoder
// and decoder states are created by libopus on first use and freed by the
// Go finalizers of hraban/opus.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/hraban/opus.v2"

	"switchboard/audio"
)

func init() {
	Register("opus", func() Codec { return NewOpus(48000) })
	RegisterVariant("opus", 16000, func() Codec { return NewOpus(16000) })
}

// Opus encoder settings (our sending side).
const (
	// OpusBitrate is the bit rate we encode at: enough for fullband speech
	// with in-band FEC.
	OpusBitrate = 32000
	// opusMinBitrate is the lowest bit rate a peer's maxaveragebitrate can
	// push us to (RFC 7587 allows 6000).
	opusMinBitrate = 6000
	// opusLossPercent is the loss we tell the encoder to expect. libopus
	// only spends bits on in-band FEC (LBRR) when it is above 0.
	opusLossPercent = 10
	// opusFMTP is what we ask of the peer's encoder: 10 ms frames or longer,
	// in-band FEC please (RFC 7587 §6.1). DTX stays off (usedtx absent).
	opusFMTP = "minptime=10;useinbandfec=1"
)

// Opus is the Opus codec (RFC 6716, RTP per RFC 7587) for voice: mono PCM,
// 20 ms frames, OpusBitrate, in-band FEC on, DTX off. Its usual form
// (NewOpus(48000), ByName("opus")) has the RTP clock 48000 and 48 kHz PCM,
// and is written "opus/48000/2" in SDP as RFC 7587 requires even for mono.
// Received stereo streams are decoded (down-mixed) to mono.
//
// NewOpus(16000) is the non-standard form some services (RingCentral's
// "OPUS/16000" on payload type 109) use: RTP clock 16000 and 16 kHz PCM.
//
// An Opus keeps encoder and decoder state between frames: use one per
// direction of a stream. Each state is created on first use.
type Opus struct {
	rate    int
	bitrate int
	maxBW   opus.Bandwidth
	enc     *opus.Encoder
	dec     *opus.Decoder
}

// NewOpus returns an Opus codec whose RTP clock and PCM rate is rate (48000,
// or 16000 for the RingCentral form; libopus accepts 8000, 12000, 16000,
// 24000 and 48000).
func NewOpus(rate int) *Opus {
	return &Opus{rate: rate, bitrate: OpusBitrate, maxBW: opus.Fullband}
}

// Name returns "opus".
func (*Opus) Name() string { return "opus" }

// ClockRate returns the RTP clock rate (48000 per RFC 7587).
func (o *Opus) ClockRate() int { return o.rate }

// Format is mono PCM at the clock rate (audio.Mono48k usually).
func (o *Opus) Format() audio.Format { return audio.Format{Rate: o.rate, Channels: 1} }

// RTPMapChannels returns 2: RFC 7587 writes "opus/48000/2" whatever is sent.
func (o *Opus) RTPMapChannels() int {
	if o.rate == 48000 {
		return 2
	}
	return 0 // the RingCentral form is written as offered, without channels
}

// FMTP returns "minptime=10;useinbandfec=1".
func (*Opus) FMTP() string { return opusFMTP }

// ApplyFMTP adapts the encoder to the receiver's parameters:
// maxaveragebitrate caps the bit rate, maxplaybackrate the audio bandwidth.
// Call it before the first Encode.
func (o *Opus) ApplyFMTP(params string) {
	for _, kv := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "maxaveragebitrate":
			o.bitrate = max(opusMinBitrate, min(o.bitrate, n))
		case "maxplaybackrate":
			switch {
			case n <= 8000:
				o.maxBW = opus.Narrowband
			case n <= 12000:
				o.maxBW = opus.Mediumband
			case n <= 16000:
				o.maxBW = opus.Wideband
			case n <= 24000:
				o.maxBW = opus.SuperWideband
			default:
				o.maxBW = opus.Fullband
			}
		}
	}
	if o.enc != nil {
		_ = o.enc.SetBitrate(o.bitrate)
		_ = o.enc.SetMaxBandwidth(o.maxBW)
	}
}

// Bitrate is the encoder's target bit rate in bit/s.
func (o *Opus) Bitrate() int { return o.bitrate }

func (o *Opus) encoder() (*opus.Encoder, error) {
	if o.enc != nil {
		return o.enc, nil
	}
	e, err := opus.NewEncoder(o.rate, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("codec: opus encoder at %d Hz: %w", o.rate, err)
	}
	err = errors.Join(e.SetBitrate(o.bitrate), e.SetMaxBandwidth(o.maxBW), e.SetInBandFEC(true),
		e.SetPacketLossPerc(opusLossPercent), e.SetDTX(false))
	if err != nil {
		return nil, fmt.Errorf("codec: opus encoder settings: %w", err)
	}
	o.enc = e
	return e, nil
}

func (o *Opus) decoder() (*opus.Decoder, error) {
	if o.dec != nil {
		return o.dec, nil
	}
	d, err := opus.NewDecoder(o.rate, 1)
	if err != nil {
		return nil, fmt.Errorf("codec: opus decoder at %d Hz: %w", o.rate, err)
	}
	o.dec = d
	return d, nil
}

// Encode compresses one frame of pcm (2.5, 5, 10, 20, 40 or 60 ms of mono
// audio at the clock rate; Switchboard sends 20 ms) into dst.
func (o *Opus) Encode(dst []byte, pcm []int16) (int, error) {
	e, err := o.encoder()
	if err != nil {
		return 0, err
	}
	if len(dst) == 0 {
		return 0, ErrShortBuffer
	}
	n, err := e.Encode(pcm, dst[:len(dst):len(dst)])
	if err != nil {
		return 0, fmt.Errorf("codec: opus encode: %w", err)
	}
	return n, nil
}

// Decode decodes one Opus packet (any frame size, mono or stereo) into dst
// as mono. An invalid packet is an error; dst must hold the packet's
// duration (960 samples for 20 ms at 48 kHz, up to 5760 for 120 ms).
func (o *Opus) Decode(dst []int16, payload []byte) (int, error) {
	d, err := o.decoder()
	if err != nil {
		return 0, err
	}
	if len(payload) == 0 {
		return 0, errors.New("codec: empty opus packet")
	}
	if len(dst) == 0 {
		return 0, ErrShortBuffer
	}
	n, err := d.Decode(payload, dst[:len(dst):len(dst)])
	if err != nil {
		return 0, fmt.Errorf("codec: opus decode: %w", err)
	}
	return n, nil
}

// Conceal produces one 20 ms frame for a lost packet: recovered from next's
// in-band FEC data when next (the following packet) is known and carries
// it, else libopus's packet-loss concealment extrapolates from the last
// frames.
func (o *Opus) Conceal(dst []int16, next []byte) (int, error) {
	d, err := o.decoder()
	if err != nil {
		return 0, err
	}
	n := o.rate * FrameMillis / 1000
	if len(dst) < n {
		return 0, ErrShortBuffer
	}
	frame := dst[:n:n]
	if len(next) > 0 {
		if err := d.DecodeFEC(next, frame); err == nil {
			return n, nil
		}
	}
	if err := d.DecodePLC(frame); err != nil {
		return 0, fmt.Errorf("codec: opus concealment: %w", err)
	}
	return n, nil
}
