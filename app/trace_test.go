package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestTraceBufferCapturesAndPassesThrough(t *testing.T) {
	var out bytes.Buffer
	next := slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})
	buf := NewTraceBuffer(next, 3)
	log := slog.New(buf)
	trace := log.With("component", TraceComponent)

	log.Info("hello", "k", "v")
	log.Debug("not shown")
	for i := range 5 {
		trace.Debug(TraceOut, "transport", "udp", "from", "a", "to", "b",
			"msg", fmt.Sprintf("OPTIONS sip:%d SIP/2.0\r\nAuthorization: Digest username=\"u\", response=\"secret%d\"\r\n", i, i))
	}
	trace.Debug("other debug line")

	if s := out.String(); !strings.Contains(s, "hello") || strings.Contains(s, "not shown") || strings.Contains(s, "SIP out") {
		t.Fatalf("next handler got %q", s)
	}
	got := buf.Entries()
	if len(got) != 3 {
		t.Fatalf("kept %d entries, want 3", len(got))
	}
	for i, e := range got {
		if !strings.HasPrefix(e.Msg, fmt.Sprintf("OPTIONS sip:%d ", i+2)) || !e.Out || e.Transport != "udp" || e.From != "a" || e.To != "b" {
			t.Errorf("entry %d = %+v", i, e)
		}
		if strings.Contains(e.Msg, "secret") || !strings.Contains(e.Msg, "Authorization: Digest [redacted]\r\n") {
			t.Errorf("entry %d not redacted: %q", i, e.Msg)
		}
	}
	if buf.Seq() != 5 {
		t.Fatalf("seq %d", buf.Seq())
	}
	buf.Clear()
	if len(buf.Entries()) != 0 || buf.Seq() != 6 {
		t.Fatal("clear")
	}
}

func TestTraceBufferForwardsDebugWhenNextWantsIt(t *testing.T) {
	var out bytes.Buffer
	buf := NewTraceBuffer(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), 0)
	slog.New(buf).WithGroup("g").With("component", TraceComponent).Debug(TraceIn, "msg", "x")
	slog.New(buf).With("component", TraceComponent).Debug(TraceIn, "msg", "INVITE")
	if !strings.Contains(out.String(), "SIP in") {
		t.Fatalf("debug trace not forwarded: %q", out.String())
	}
	if e := buf.Entries(); len(e) != 1 || e[0].Msg != "INVITE" || e[0].Out {
		t.Fatalf("entries %+v (records in a group are not ours)", e)
	}
	if !strings.Contains(e0Header(buf), "SIP in") {
		t.Fatal("header")
	}
	// Without component=sip-trace, debug stays disabled where next is.
	quiet := NewTraceBuffer(slog.DiscardHandler, 1)
	if quiet.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("plain handler enabled for debug")
	}
	if !quiet.WithAttrs([]slog.Attr{slog.String("component", TraceComponent)}).Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("trace handler not enabled for debug")
	}
}

func e0Header(b *TraceBuffer) string { return b.Entries()[0].Header() }

func TestTraceBufferConcurrent(t *testing.T) {
	buf := NewTraceBuffer(nil, 50)
	var calls sync.WaitGroup
	var mu sync.Mutex
	n := 0
	buf.SetOnChange(func() { mu.Lock(); n++; mu.Unlock() })
	log := slog.New(buf).With("component", TraceComponent)
	for range 4 {
		calls.Go(func() {
			for range 100 {
				log.Debug(TraceIn, "msg", "x")
				_ = buf.Entries()
			}
		})
	}
	calls.Wait()
	if len(buf.Entries()) != 50 || n != 400 {
		t.Fatalf("entries %d, notified %d", len(buf.Entries()), n)
	}
}

func TestRedactSIP(t *testing.T) {
	in := "INVITE sip:b SIP/2.0\nproxy-authorization: Digest response=\"abc\"\nVia: x\n"
	if got := RedactSIP(in); got != "INVITE sip:b SIP/2.0\nproxy-authorization: Digest [redacted]\nVia: x\n" {
		t.Fatalf("got %q", got)
	}
}

func TestListenPortAndNetwork(t *testing.T) {
	var s Settings
	if s.ListenPort() != DefaultSIPPort {
		t.Fatal("default port")
	}
	s.SetListenPort(5070)
	if s.ListenAddr != "0.0.0.0:5070" || s.ListenPort() != 5070 {
		t.Fatalf("%q", s.ListenAddr)
	}
	s.ListenAddr = "192.0.2.1:5060"
	s.SetListenPort(5080)
	if s.ListenAddr != "192.0.2.1:5080" {
		t.Fatalf("%q", s.ListenAddr)
	}
	for _, c := range []struct {
		sip, lo, hi int
		ok          bool
	}{{5060, 0, 0, true}, {5060, 10000, 20000, true}, {70000, 0, 0, false}, {5060, 20000, 10000, false},
		{5060, 80, 90, false}, {5060, 10000, 10001, false}, {0, 0, 0, true}} {
		if err := ValidateNetwork(c.sip, c.lo, c.hi); (err == nil) != c.ok {
			t.Errorf("ValidateNetwork(%d,%d,%d) = %v", c.sip, c.lo, c.hi, err)
		}
	}
}
