package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"switchboard/audio"
	"switchboard/audio/codec"
)

// EchoTest plays src back into sink through the same path a call uses,
// without a network: every 20 ms one frame is read from src, encoded with
// codecName, passed through a JitterBuffer, decoded and written to sink.
// src and sink must be in the codec's format (8 kHz mono for G.711, 16 kHz
// for G.722, 48 kHz for Opus). It runs
// until ctx ends (then it returns nil) or src ends (io.EOF: buffered audio
// is flushed and nil returned); other errors are returned.
func EchoTest(ctx context.Context, src audio.Source, sink audio.Sink, codecName string) error {
	enc, ok := codec.ByName(codecName)
	if !ok {
		return fmt.Errorf("media: echo test: unknown codec %q", codecName)
	}
	dec, _ := codec.ByName(codecName)
	f := enc.Format()
	if src == nil || sink == nil {
		return errors.New("media: echo test needs a source and a sink")
	}
	if src.Format() != f || sink.Format() != f {
		return fmt.Errorf("%w: echo test with %s needs %+v (source %+v, sink %+v)",
			ErrFormat, enc.Name(), f, src.Format(), sink.Format())
	}
	const target = 2
	jb := NewJitterBuffer(codec.FrameTimestamp(enc), target, 16)
	pc := newLossConcealer(f.Rate)
	frame := make([]int16, codec.FrameSamples(enc))
	out := make([]int16, codec.FrameSamples(enc)*2)
	payload := make([]byte, 1500)
	var ts uint32
	ended := false
	flush := 0
	tick := time.NewTicker(codec.FrameMillis * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if !ended {
			n, err := src.Read(frame)
			clear(frame[max(0, min(n, len(frame))):])
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("media: echo test source: %w", err)
			}
			if err != nil {
				ended = true
			}
			if n > 0 {
				m, err := enc.Encode(payload, frame)
				if err != nil {
					return fmt.Errorf("media: echo test encode: %w", err)
				}
				jb.Push(ts, 0, payload[:m])
				ts += codec.FrameTimestamp(enc)
			}
		}
		if ended {
			if jb.Len() == 0 || flush > 16 {
				return nil
			}
			flush++
			if jb.Len() < target { // too short to start: start anyway
				jb.target = 1
			}
		}
		fr := jb.Pop()
		var pcm []int16
		switch fr.Status {
		case FrameOK:
			n, err := dec.Decode(out, fr.Payload)
			if err != nil {
				return fmt.Errorf("media: echo test decode: %w", err)
			}
			pcm = out[:n]
			pc.good(pcm)
		case FrameLost:
			pcm = out[:len(frame)]
			if c, ok := dec.(codec.Concealer); ok {
				var next []byte
				if nf, ok := jb.Peek(fr.Timestamp + jb.tsPerFrame); ok {
					next = nf.Payload
				}
				if m, err := c.Conceal(pcm, next); err == nil && m == len(pcm) {
					break
				}
			}
			pc.conceal(pcm)
		default:
			continue
		}
		if _, err := sink.Write(pcm); err != nil {
			return fmt.Errorf("media: echo test sink: %w", err)
		}
	}
}
