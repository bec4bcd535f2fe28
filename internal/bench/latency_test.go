package bench

import (
	"context"
	"math"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/phone/media"
)

// burstSource is a microphone that is silent except for a 1 kHz burst of
// one frame every period reads; it notes when each burst was read (the
// moment the send loop took the frame).
type burstSource struct {
	f      audio.Format
	period int
	n      int
	mu     sync.Mutex
	sent   []time.Time
}

func (s *burstSource) Format() audio.Format { return s.f }

func (s *burstSource) Read(p []int16) (int, error) {
	s.n++
	clear(p)
	if s.n%s.period == 0 {
		for i := range p {
			p[i] = int16(16000 * math.Sin(2*math.Pi*1000*float64(i)/float64(s.f.Rate)))
		}
		s.mu.Lock()
		s.sent = append(s.sent, time.Now())
		s.mu.Unlock()
	}
	return len(p), nil
}

// onsetSink notes when each burst reaches the speaker (first loud frame
// after a quiet one).
type onsetSink struct {
	f    audio.Format
	mu   sync.Mutex
	loud bool
	got  []time.Time
}

func (s *onsetSink) Format() audio.Format { return s.f }

func (s *onsetSink) Write(p []int16) (int, error) {
	loud := audio.RMS(p) > 0.05
	s.mu.Lock()
	if loud && !s.loud {
		s.got = append(s.got, time.Now())
	}
	s.loud = loud
	s.mu.Unlock()
	return len(p), nil
}

// TestMeasureLatency measures the delay our media pipeline adds between a
// frame leaving the microphone side of one session and reaching the
// speaker side of another over loopback UDP, at default settings (adaptive
// jitter buffer), for PCMU and Opus: send tick, encode, network, jitter
// buffer, decode, playout tick. It prints the figures with the sound
// device's share (frame accumulation, capture slack, playback queue and
// periods), which it adds from audio/device's settings. SWITCHBOARD_BENCH=1.
func TestMeasureLatency(t *testing.T) {
	if os.Getenv("SWITCHBOARD_BENCH") != "1" {
		t.Skip("set SWITCHBOARD_BENCH=1 to measure the pipeline's latency (about 20 s)")
	}
	ip := netip.MustParseAddr("127.0.0.1")
	for _, codec := range []string{"PCMU", "opus"} {
		a, err := media.New(context.Background(), media.Config{LocalIP: ip, Codecs: []string{codec}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := media.New(context.Background(), media.Config{LocalIP: ip, Codecs: []string{codec}})
		if err != nil {
			t.Fatal(err)
		}
		offer, _ := a.Offer()
		ans, err := b.Answer(offer)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetAnswer(ans); err != nil {
			t.Fatal(err)
		}
		src := &burstSource{f: a.Format(), period: 25} // one burst every 500 ms
		sink := &onsetSink{f: b.Format()}
		if err := a.Start(src, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.Start(nil, sink); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			sink.mu.Lock()
			n := len(sink.got)
			sink.mu.Unlock()
			if n >= 16 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond) // sampling a counter, bounded by the deadline
		}
		a.Close()
		b.Close()
		src.mu.Lock()
		sink.mu.Lock()
		var d []time.Duration
		for i := 1; i < min(len(src.sent), len(sink.got)); i++ { // the first burst meets an empty jitter buffer
			d = append(d, sink.got[i].Sub(src.sent[i]))
		}
		sink.mu.Unlock()
		src.mu.Unlock()
		if len(d) < 5 {
			t.Fatalf("%s: only %d bursts measured", codec, len(d))
		}
		slices.Sort(d)
		med := d[len(d)/2]
		jb := b.Stats().JitterBufferDelay
		t.Logf("%s: frame read -> frame played: median %v (min %v, max %v, %d bursts); jitter buffer %v",
			codec, med.Round(100*time.Microsecond), d[0].Round(100*time.Microsecond),
			d[len(d)-1].Round(100*time.Microsecond), len(d), jb)
		// The sound device's share at default settings (audio/device):
		// a 20 ms frame waits for its last sample (20), the mic ring keeps
		// at most 20 ms of slack (0-20), the device periods are 10 ms each
		// way, and the speaker queue holds what one 20 ms write leaves
		// (0-20).
		t.Logf("%s: mouth-to-ear added by Switchboard ~ %v + 20 ms framing + 0-20 ms mic slack + 0-20 ms speaker queue + 2x10 ms device periods",
			codec, med.Round(time.Millisecond))
	}
}
