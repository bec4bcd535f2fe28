package sip_test

import (
	"strings"
	"testing"

	"switchboard/phone"
	"switchboard/phone/sip"
)

// TestDirectIPCall: two Switchboard cores call each other by IP, without
// a registrar: tones both ways, DTMF both ways by RFC 4733 and SIP INFO,
// hold and resume, hang-up.
func TestDirectIPCall(t *testing.T) {
	a := newCore(t, 700, nil)
	b := newCore(t, 1300, nil)
	target := "sip:bob@" + b.sig.Listen()[len("sip:"):]
	if _, err := a.Dial("", target); err != nil {
		t.Fatal(err)
	}
	in := b.wait(t, phone.EvIncoming)
	a.wait(t, phone.EvRinging, phone.EvEnded)
	if err := b.Answer(in.Call.ID); err != nil {
		for len(b.events) > 0 {
			ev := <-b.events
			t.Logf("B event %s %+v", ev.Kind, ev.Call)
		}
		t.Fatal(err)
	}
	ans := a.wait(t, phone.EvAnswered, phone.EvEnded)
	if ans.Call.Codec != "opus" { // the default preference between two Switchboards
		t.Fatalf("codec %q", ans.Call.Codec)
	}
	b.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "A", a.rec.waitSamples(t, a.rec.Len()+2400, 8000), 1300)
	hears(t, "B", b.rec.waitSamples(t, b.rec.Len()+2400, 8000), 700)

	for _, info := range []bool{false, true} {
		if err := a.SendDTMF("", "1#", info); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"1", "#"} {
			if ev := b.wait(t, phone.EvDTMF, phone.EvEnded); ev.Digit != want {
				t.Fatalf("B got digit %q, want %q (info=%v)", ev.Digit, want, info)
			}
		}
		if err := b.SendDTMF("", "9", info); err != nil {
			t.Fatal(err)
		}
		if ev := a.wait(t, phone.EvDTMF, phone.EvEnded); ev.Digit != "9" {
			t.Fatalf("A got digit %q (info=%v)", ev.Digit, info)
		}
	}

	if err := a.Hold(""); err != nil {
		t.Fatal(err)
	}
	a.wait(t, phone.EvHeld, phone.EvEnded)
	if ev := b.wait(t, phone.EvRemoteHold, phone.EvEnded); !ev.Call.RemoteHold {
		t.Fatal("B did not see remote hold")
	}
	silent(t, "B while held", b.rec.waitSamples(t, b.rec.Len()+2400, 4000))
	if err := a.Resume(""); err != nil {
		t.Fatal(err)
	}
	a.wait(t, phone.EvResumed, phone.EvEnded)
	hears(t, "B after resume", b.rec.waitSamples(t, b.rec.Len()+2400, 4000), 700)

	if err := b.Hangup(""); err != nil {
		t.Fatal(err)
	}
	if ev := a.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseNormal {
		t.Fatalf("A ended with %s", ev.Call.Cause)
	}
}

// TestWildcardListen: a phone listening on 0.0.0.0 (the app's default)
// calls and is called over loopback, and names a dialable address.
func TestWildcardListen(t *testing.T) {
	a := newCore(t, 700, func(s *sip.Config, _ *phone.Config) { s.Listen = "0.0.0.0:0" })
	b := newCore(t, 1300, func(_ *sip.Config, p *phone.Config) { p.AutoAnswer = true })
	if l := a.sig.Listen(); strings.Contains(l, "0.0.0.0") || strings.Contains(l, "[::]") {
		t.Fatalf("Listen() = %s, want a dialable address", l)
	}
	if _, err := a.Dial("", "sip:bob@"+strings.TrimPrefix(b.sig.Listen(), "sip:")); err != nil {
		t.Fatal(err)
	}
	a.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "A", a.rec.waitSamples(t, a.rec.Len()+2400, 4000), 1300)
	hears(t, "B", b.rec.waitSamples(t, b.rec.Len()+2400, 4000), 700)
	if err := a.Hangup(""); err != nil {
		t.Fatal(err)
	}
	b.wait(t, phone.EvEnded)
	_, port, _ := strings.Cut(strings.TrimPrefix(a.sig.Listen(), "sip:"), ":")
	if _, err := b.Dial("", "sip:alice@127.0.0.1:"+port); err != nil {
		t.Fatal(err)
	}
	in := a.wait(t, phone.EvIncoming)
	if err := a.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	b.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "B (called A)", b.rec.waitSamples(t, b.rec.Len()+2400, 4000), 700)
}
