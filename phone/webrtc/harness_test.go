package webrtc_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"switchboard/audio"
	"switchboard/audio/tone"
	"switchboard/phone"
	"switchboard/phone/webrtc"
)

// recorder is a Sink that keeps everything written to it (8 kHz mono).
type recorder struct {
	mu sync.Mutex
	s  []int16
}

func (r *recorder) Format() audio.Format { return audio.Mono8k }

func (r *recorder) Write(p []int16) (int, error) {
	r.mu.Lock()
	r.s = append(r.s, p...)
	r.mu.Unlock()
	return len(p), nil
}

// Len returns how many samples arrived so far.
func (r *recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.s)
}

// Since returns the samples after index from.
func (r *recorder) Since(from int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if from > len(r.s) {
		return nil
	}
	return append([]int16(nil), r.s[from:]...)
}

// waitSamples waits until n samples beyond from have arrived.
func (r *recorder) waitSamples(t *testing.T, from, n int) []int16 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.Len() < from+n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d samples received", r.Len()-from, n)
		}
		time.Sleep(20 * time.Millisecond) // polling a counter, bounded by the deadline
	}
	return r.Since(from)[:n]
}

type testAudio struct {
	src audio.Source
	rec *recorder
}

func (a testAudio) Source() audio.Source { return a.src }
func (a testAudio) Sink() audio.Sink     { return a.rec }

// core is a phone core on the WebRTC signaler with a sine microphone and
// a recording speaker.
type core struct {
	*phone.Phone
	sig    *webrtc.Signaler
	rec    *recorder
	events <-chan phone.Event
}

func newCore(t *testing.T, toneHz float64, mods ...func(*phone.Config)) *core {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	wcfg := webrtc.Config{LoopbackOnly: true, InstanceID: "9c1f8e0e-4a7b-4c7e-9d1a-2b3c4d5e6f71", KeepAlive: 5 * time.Second}
	rec := &recorder{}
	pcfg := phone.Config{Audio: testAudio{src: tone.NewSine(audio.Mono8k, toneHz, 0.5), rec: rec}}
	if os.Getenv("SWITCHBOARD_TRACE") != "" {
		wcfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		pcfg.Logger = wcfg.Logger
	}
	for _, m := range mods {
		m(&pcfg)
	}
	sig := webrtc.New(wcfg)
	pcfg.Signaler = sig
	p := phone.New(pcfg)
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	_, events := p.Subscribe(ctx)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("phone core did not stop")
		}
	})
	return &core{Phone: p, sig: sig, rec: rec, events: events}
}

// wait reads events until one of kind arrives; an event of a kind in fail
// ends the test.
func (c *core) wait(t *testing.T, kind phone.EventKind, fail ...phone.EventKind) phone.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-c.events:
			if ev.Kind == kind {
				return ev
			}
			for _, f := range fail {
				if ev.Kind == f {
					t.Fatalf("got %s (%+v %+v) while waiting for %s", ev.Kind, ev.Reg, ev.Call, kind)
				}
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", kind)
		}
	}
}

// hears asserts that samples (8 kHz) carry a tone of hz.
func hears(t *testing.T, who string, samples []int16, hz float64) {
	t.Helper()
	got, share := audio.DominantFrequency(samples, 8000, 100, 3900, 10)
	level := audio.DBFS(audio.RMS(samples))
	if got < hz-20 || got > hz+20 || share < 0.5 || level < -40 {
		t.Fatalf("%s: heard %.0f Hz (share %.2f, %.1f dBFS), want %.0f Hz", who, got, share, level, hz)
	}
	t.Logf("%s hears %.0f Hz at %.1f dBFS (share %.2f)", who, got, level, share)
}

// silent asserts that samples carry no tone above -50 dBFS.
func silent(t *testing.T, who string, samples []int16) {
	t.Helper()
	if l := audio.DBFS(audio.RMS(samples)); l > -50 {
		hz, _ := audio.DominantFrequency(samples, 8000, 100, 3900, 10)
		t.Fatalf("%s: expected silence, got %.1f dBFS (%.0f Hz)", who, l, hz)
	}
}

// traceTo prints sipgo's wire trace (redacted) when SWITCHBOARD_TRACE is set.
type traceTo struct{ log *slog.Logger }

func (t traceTo) SIPTraceRead(transport, laddr, raddr string, msg []byte) {
	t.log.Debug("SIP in", "transport", transport, "from", raddr, "to", laddr, "msg", phone.RedactSIP(string(msg)))
}

func (t traceTo) SIPTraceWrite(transport, laddr, raddr string, msg []byte) {
	t.log.Debug("SIP out", "transport", transport, "from", laddr, "to", raddr, "msg", phone.RedactSIP(string(msg)))
}

func init() {
	if os.Getenv("SWITCHBOARD_TRACE") != "" {
		sipgosip.SIPDebugTracer(traceTo{slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		sipgosip.SIPDebug = true
	}
}
