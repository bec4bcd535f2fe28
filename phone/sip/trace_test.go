package sip

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	msg := "REGISTER sip:x SIP/2.0\r\n" +
		`Authorization: Digest username="alice", realm="x", nonce="n", response="0123456789abcdef"` + "\r\n" +
		`proxy-authorization: Digest username="alice", response="feedface"` + "\r\n" +
		"Contact: <sip:alice@127.0.0.1>\r\n\r\n"
	got := Redact([]byte(msg))
	for _, secret := range []string{"0123456789abcdef", "feedface", "username"} {
		if strings.Contains(got, secret) {
			t.Fatalf("%q left in trace:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "Authorization: Digest [redacted]\r\n") || !strings.Contains(got, "Contact: <sip:alice@127.0.0.1>") {
		t.Fatalf("trace mangled:\n%s", got)
	}
}
