package sipmsg

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
)

// TestReferToRoundTrip: a Refer-To built by Refer (Replaces escaped in
// the URI) reads back to the same target and dialog; bad values fail.
func TestReferToRoundTrip(t *testing.T) {
	ref := phone.DialogRef{CallID: "a84b4c76e66710@pc33.example.com", LocalTag: "1928301774", RemoteTag: "a6c85cf"}
	v := ReferTo(sip.Uri{Scheme: "sip", User: "carol", Host: "example.com"}, &ref)
	target, got, err := ParseReferTo(v)
	if err != nil || target != "sip:carol@example.com" || got == nil || *got != ref {
		t.Fatalf("ParseReferTo(%s) = %q %+v %v", v, target, got, err)
	}
	if target, got, err := ParseReferTo("sip:bob@example.com"); err != nil || target != "sip:bob@example.com" || got != nil {
		t.Fatalf("blind Refer-To: %q %+v %v", target, got, err)
	}
	for _, bad := range []string{"<sip:carol@example.com", "not a uri", "<sip:c@example.com?Replaces=only-call-id>"} {
		if _, _, err := ParseReferTo(bad); err == nil {
			t.Errorf("ParseReferTo(%q) accepted", bad)
		}
	}
	if code, reason, ok := ParseSipfrag([]byte("SIP/2.0 180 Ringing\r\n")); !ok || code != 180 || reason != "Ringing" {
		t.Errorf("sipfrag: %d %q %v", code, reason, ok)
	}
	if _, _, ok := ParseSipfrag([]byte("garbage")); ok {
		t.Error("garbage sipfrag accepted")
	}
}

// TestSipfragRoundTrip: the NOTIFY body we write reads back.
func TestSipfragRoundTrip(t *testing.T) {
	if code, reason, ok := ParseSipfrag(Sipfrag(486, "Busy Here")); !ok || code != 486 || reason != "Busy Here" {
		t.Fatalf("%d %q %v", code, reason, ok)
	}
}

// TestDTMFRelayBodies: dtmf-relay (Signal=, 10 and 11 for * and #) and
// bare application/dtmf bodies.
func TestDTMFRelayBodies(t *testing.T) {
	for body, want := range map[string]rune{"Signal=5\r\nDuration=160\r\n": '5', "signal= 11": '#', "Signal=10": '*', "7": '7'} {
		if d, ok := ParseDTMFRelay([]byte(body)); !ok || d != want {
			t.Errorf("%q: %q %v, want %q", body, d, ok, want)
		}
	}
	if _, ok := ParseDTMFRelay([]byte("Signal=Z")); ok {
		t.Error("bad digit accepted")
	}
}

func FuzzParseDTMFRelay(f *testing.F) {
	f.Add([]byte("Signal=5\r\nDuration=160\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseDTMFRelay(b) })
}

// TestAnswerAfter: the RingCentral, Polycom and Yealink auto-answer forms;
// none gives -1.
func TestAnswerAfter(t *testing.T) {
	req := func(hdrs ...string) *sip.Request {
		r := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "example.com"})
		for i := 0; i+1 < len(hdrs); i += 2 {
			r.AppendHeader(sip.NewHeader(hdrs[i], hdrs[i+1]))
		}
		return r
	}
	for _, c := range []struct {
		r    *sip.Request
		want int
	}{
		{req("Alert-Info", "Auto Answer", "Call-Info", "<sip:x>;purpose=info;Answer-After=3"), 3},
		{req("Alert-Info", "info=alert-autoanswer"), 0},
		{req("Call-Info", "<sip:x>;answer-after=0"), 0},
		{req("Alert-Info", "<http://x/ring.wav>"), -1},
	} {
		if got := AnswerAfter(c.r); got != c.want {
			t.Errorf("AnswerAfter(%v) = %d, want %d", c.r.Headers(), got, c.want)
		}
	}
}

// TestAgentURI: a P-rc address with '#' and a port.
func TestAgentURI(t *testing.T) {
	u := AgentURI("#1032016@sip.ringcentral.com:5060")
	if u.User != "%231032016" || u.Host != "sip.ringcentral.com" || u.Port != 5060 {
		t.Fatalf("%+v", u)
	}
}
