package cli_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"switchboard/app/cli"
	"switchboard/audio"
	"switchboard/audio/tone"
	"switchboard/phone"
	"switchboard/phone/sip"
)

type pair struct{ src audio.Source }

func (p pair) Source() audio.Source { return p.src }
func (p pair) Sink() audio.Sink     { return audio.Discard{F: audio.Mono8k} }

// startCore runs a direct-IP core on a free loopback port.
func startCore(t *testing.T, autoAnswer bool) (*phone.Phone, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scfg := sip.Config{Listen: "127.0.0.1:0", DirectIP: true}
	if os.Getenv("SWITCHBOARD_TRACE") != "" {
		scfg.Trace = true
		scfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	sig, err := sip.New(ctx, scfg)
	if err != nil {
		t.Fatal(err)
	}
	p := phone.New(phone.Config{Signaler: sig, AutoAnswer: autoAnswer,
		Audio: pair{tone.NewSine(audio.Mono8k, 440, 0.5)}, Logger: scfg.Logger})
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p, strings.TrimPrefix(sig.Listen(), "sip:")
}

func TestParse(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := cli.Parse([]string{"--help"}, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "dial URI") {
		t.Fatalf("--help: %v\n%s", err, stderr.String())
	}
	o, err := cli.Parse([]string{"--aor", "sip:Ralf C12441@host.com"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Account(); err == nil || !strings.Contains(err.Error(), "space") {
		t.Fatalf("bad AOR: %v", err)
	}
	o, _ = cli.Parse([]string{"--aor", "sip:alice@example.com", "--transport", "TLS", "--expiry", "300"}, io.Discard)
	a, err := o.Account()
	if err != nil || a.Transport != phone.TLS || a.Expiry != 300*time.Second {
		t.Fatalf("account %+v %v", a, err)
	}
	if o, _ := cli.Parse(nil, io.Discard); o.AOR != "" {
		t.Fatal("direct-IP mode expected without --aor")
	}
}

// TestRunDirectCall drives the cli's stdin/stdout contract: dial, events
// as JSON lines, dtmf, a bad command, hangup, quit.
func TestRunDirectCall(t *testing.T) {
	ours, _ := startCore(t, false)
	peer, peerAddr := startCore(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, peerEvents := peer.Subscribe(ctx)

	d := drive(t, ctx, ours)
	next, send := d.next, d.send

	send("dial sip:bob@" + peerAddr)
	ans := next("answered")
	if ans["codec"] != "opus" || ans["call"] == "" {
		t.Fatalf("answered %v", ans)
	}
	send("dtmf 7")
	for ev := range peerEvents {
		if ev.Kind == phone.EvDTMF {
			if ev.Digit != "7" {
				t.Fatalf("peer got %q", ev.Digit)
			}
			break
		}
	}
	send("frobnicate")
	if m := next("error"); !strings.Contains(m["message"].(string), "unknown command") {
		t.Fatalf("error %v", m)
	}
	send("hangup " + ans["call"].(string))
	if m := next("ended"); m["cause"] != "normal" {
		t.Fatalf("ended %v", m)
	}
	d.quit()
}
