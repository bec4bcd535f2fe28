package webrtc

import (
	"testing"

	"switchboard/phone"
)

// TestReferToRoundTrip: a Refer-To built by Refer (Replaces escaped in
// the URI) reads back to the same target and dialog; bad values fail.
func TestReferToRoundTrip(t *testing.T) {
	ref := phone.DialogRef{CallID: "a84b4c76e66710@pc33.example.com", LocalTag: "1928301774", RemoteTag: "a6c85cf"}
	v := "<sip:carol@example.com?Replaces=" + escapeHeaderValue(replacesValue(ref)) + ">"
	target, got, err := parseReferTo(v)
	if err != nil || target != "sip:carol@example.com" || got == nil || *got != ref {
		t.Fatalf("parseReferTo(%s) = %q %+v %v", v, target, got, err)
	}
	if target, got, err := parseReferTo("sip:bob@example.com"); err != nil || target != "sip:bob@example.com" || got != nil {
		t.Fatalf("blind Refer-To: %q %+v %v", target, got, err)
	}
	for _, bad := range []string{"<sip:carol@example.com", "not a uri", "<sip:c@example.com?Replaces=only-call-id>"} {
		if _, _, err := parseReferTo(bad); err == nil {
			t.Errorf("parseReferTo(%q) accepted", bad)
		}
	}
	if code, reason, ok := parseSipfrag([]byte("SIP/2.0 180 Ringing\r\n")); !ok || code != 180 || reason != "Ringing" {
		t.Errorf("sipfrag: %d %q %v", code, reason, ok)
	}
	if _, _, ok := parseSipfrag([]byte("garbage")); ok {
		t.Error("garbage sipfrag accepted")
	}
}
