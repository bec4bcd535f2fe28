package mix

import (
	"sync/atomic"
	"time"

	"switchboard/audio"
	"switchboard/audio/ring"
)

// leg is one call in the conference. in carries what the call received
// (producer: the call's Sink, consumer: the bridge); out carries the mix the
// call sends (producer: the bridge, consumer: the call's Source).
type leg struct {
	id       string
	f        audio.Format
	frame    int
	maxQueue int
	in, out  *ring.Buffer
	inBuf    []int16 // this frame's input; bridge-owned
	gone     atomic.Bool

	mixed     atomic.Uint64
	underruns atomic.Uint64 // frames
	trimmed   atomic.Uint64 // samples (receive side, by the bridge)

	sendUnderruns atomic.Uint64 // samples
	sendTrimmed   atomic.Uint64 // samples (send side, by the call's reads)
}

// pull loads the leg's next frame into inBuf: a whole frame if one is
// waiting, else silence (an underrun). Too much waiting audio is trimmed
// first so the receive delay stays bounded. Bridge goroutine only.
func (l *leg) pull() {
	q := l.in.Len()
	if q > l.maxQueue {
		// Keep this frame plus one spare as the jitter cushion.
		l.trimmed.Add(uint64(l.in.Discard(q - 2*l.frame)))
	}
	if l.in.Len() < l.frame {
		clear(l.inBuf)
		l.underruns.Add(1)
		return
	}
	l.in.Read(l.inBuf)
	l.mixed.Add(1)
}

func (l *leg) stats() LegStats {
	return LegStats{
		ID:            l.id,
		Mixed:         l.mixed.Load(),
		Underruns:     l.underruns.Load(),
		Dropped:       l.in.Overruns() + l.trimmed.Load(),
		RecvDelay:     l.delay(l.in.Len()),
		SendUnderruns: l.sendUnderruns.Load(),
		SendDropped:   l.out.Overruns() + l.sendTrimmed.Load(),
		SendDelay:     l.delay(l.out.Len()),
	}
}

func (l *leg) delay(samples int) time.Duration {
	return time.Duration(samples) * time.Second / time.Duration(l.f.Rate*l.f.Channels)
}

// legSource is the Source a call reads its outgoing audio from.
type legSource leg

// Format returns the bridge's format.
func (s *legSource) Format() audio.Format { return s.f }

// Read fills p with the mix for this leg (the microphone and every other
// leg). If less than len(p) is ready it gives silence and leaves the queued
// mix for the next read; after Leave or Close it always gives silence.
// p is trimmed to whole frames of the format.
func (s *legSource) Read(p []int16) (int, error) {
	l := (*leg)(s)
	p = p[:len(p)-len(p)%l.f.Channels]
	if l.gone.Load() {
		clear(p)
		return len(p), nil
	}
	if q := l.out.Len(); q > l.maxQueue && q > len(p)+l.frame {
		// Keep this read plus one frame of cushion.
		l.sendTrimmed.Add(uint64(l.out.Discard(q - len(p) - l.frame)))
	}
	if l.out.Len() < len(p) {
		clear(p)
		l.sendUnderruns.Add(uint64(len(p)))
		return len(p), nil
	}
	l.out.Read(p)
	return len(p), nil
}

// legSink is the Sink a call writes its received audio to.
type legSink leg

// Format returns the bridge's format.
func (s *legSink) Format() audio.Format { return s.f }

// Write queues p (what the call received) for the mix. Audio that does not
// fit is dropped and counted; after Leave or Close it is discarded.
func (s *legSink) Write(p []int16) (int, error) {
	l := (*leg)(s)
	p = p[:len(p)-len(p)%l.f.Channels]
	if !l.gone.Load() {
		l.in.Write(p)
	}
	return len(p), nil
}
