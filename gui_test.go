package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/app"
	"switchboard/audio"
	"switchboard/phone"
	"switchboard/phone/sip"
)

// sineAudio is a phone.Audio whose microphone plays a constant square wave.
type sineAudio struct{}

type squareSource struct{}

func (squareSource) Format() audio.Format { return audio.Mono48k }
func (squareSource) Read(p []int16) (int, error) {
	for i := range p {
		p[i] = 8192
		if i%2 == 1 {
			p[i] = -8192
		}
	}
	return len(p), nil
}

func (sineAudio) Source() audio.Source { return squareSource{} }
func (sineAudio) Sink() audio.Sink     { return audio.Discard{F: audio.Mono48k} }

func TestLevelMetersFollowMicAndSpeaker(t *testing.T) {
	m := &levelMeters{}
	if m.Level() != 0 || m.SpeakerLevel() != 0 {
		t.Fatal("level before any audio")
	}
	a := meteredAudio{Audio: sineAudio{}, m: m}
	buf := make([]int16, 960)
	if _, err := a.Source().Read(buf); err != nil {
		t.Fatal(err)
	}
	// A quarter of full scale is -12 dBFS: 0.8 on the -60..0 meter.
	if l := m.Level(); l < 0.79 || l > 0.81 {
		t.Fatalf("level %.3f, want 0.8", l)
	}
	if m.SpeakerLevel() != 0 {
		t.Fatal("the speaker meter moved with the microphone")
	}
	if _, err := a.Sink().Write(buf); err != nil {
		t.Fatal(err)
	}
	if l := m.SpeakerLevel(); l < 0.79 || l > 0.81 {
		t.Fatalf("speaker level %.3f, want 0.8", l)
	}
	if err := a.SwitchCapture(context.Background(), "x"); err == nil {
		t.Fatal("switch on audio that cannot switch")
	}
}

func TestRingerWanted(t *testing.T) {
	ringing := phone.CallInfo{ID: "c1", State: phone.StateIncoming}
	active := phone.CallInfo{ID: "c2", State: phone.StateActive}
	for _, c := range []struct {
		s    phone.Snapshot
		want bool
	}{
		{phone.Snapshot{}, false},
		{phone.Snapshot{Calls: []phone.CallInfo{ringing}}, true},
		{phone.Snapshot{Calls: []phone.CallInfo{active, ringing}, Active: "c2"}, false}, // call waiting: no ring
		{phone.Snapshot{Calls: []phone.CallInfo{active}}, false},
	} {
		if got := ringerWanted(c.s); got != c.want {
			t.Errorf("ringerWanted(%+v) = %v", c.s, got)
		}
	}
}

// countSink counts the samples written to it.
type countSink struct{ n *atomic.Int64 }

func (countSink) Format() audio.Format { return audio.Mono48k }
func (s countSink) Write(p []int16) (int, error) {
	s.n.Add(int64(len(p)))
	return len(p), nil
}

func TestRingtoneFallsBackToSpeaker(t *testing.T) {
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	playRingtone(ctx, "not-a-device-id", countSink{&n}, slog.New(slog.DiscardHandler))
	if n.Load() == 0 {
		t.Fatal("nothing rang on the fallback speaker")
	}
}

// TestSIPTraceReachesTraceBuffer checks the wiring buildGUICore relies on:
// the SIP backend's trace (component sip-trace, at debug level) lands in
// the TraceBuffer although the next handler only logs info, redacted.
func TestSIPTraceReachesTraceBuffer(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a SIP socket")
	}
	out := &syncWriter{w: &strings.Builder{}}
	buf := app.NewTraceBuffer(slog.NewTextHandler(out, nil), 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig, err := sip.New(ctx, sip.Config{Listen: "127.0.0.1:0", Logger: slog.New(buf), Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(sig.Listen(), "sip:")
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const secret = "0123456789abcdef-secret"
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + c.LocalAddr().String() + ";branch=z9hG4bK-trace1\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:" + addr + ">\r\nCall-ID: trace-test\r\nCSeq: 1 OPTIONS\r\n" +
		"Authorization: Digest username=\"alice\", response=\"" + secret + "\"\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(buf.Entries()) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	entries := buf.Entries()
	if len(entries) == 0 {
		t.Fatal("no SIP message reached the trace buffer")
	}
	found := false
	for _, e := range entries {
		if strings.Contains(e.Msg, secret) {
			t.Fatalf("secret in the trace: %q", e.Msg)
		}
		if !e.Out && strings.Contains(e.Msg, "OPTIONS sip:") && strings.Contains(e.Msg, "Authorization: Digest [redacted]") {
			found = true
		}
	}
	if !found {
		t.Fatalf("our OPTIONS is not in the trace: %+v", entries)
	}
	if strings.Contains(out.String(), "SIP in") {
		t.Fatal("the trace reached the info-level log")
	}
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String returns what was written so far.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// TestGainedAudio: mic gain and speaker volume scale what passes, change
// at once, and 0 (unset) means unchanged.
func TestGainedAudio(t *testing.T) {
	g := newGainedAudio(sineAudio{}, 50, 0)
	buf := make([]int16, 960)
	g.Source().Read(buf)
	if l := audio.DBFS(audio.RMS(buf)); l > -17.9 || l < -18.2 { // -12 dBFS square at half: -18
		t.Fatalf("mic at 50%%: %.2f dBFS", l)
	}
	g.SetGains(200, 0)
	g.Source().Read(buf)
	if l := audio.DBFS(audio.RMS(buf)); l > -5.9 || l < -6.2 {
		t.Fatalf("mic at 200%%: %.2f dBFS", l)
	}
	if err := g.SwitchPlayback(context.Background(), "x"); err == nil {
		t.Fatal("switch on audio that cannot switch")
	}
}
