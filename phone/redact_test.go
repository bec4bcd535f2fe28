package phone

import (
	"strings"
	"testing"
)

func TestRedactSIP(t *testing.T) {
	msg := "INVITE sip:x SIP/2.0\r\n" +
		`Authorization: Digest username="alice", response="0123456789abcdef"` + "\r\n" +
		`proxy-authorization: Digest username="alice", response="feedface"` + "\r\n" +
		"Content-Type: application/sdp\r\n\r\n" +
		"v=0\r\nm=audio 4000 RTP/SAVP 0\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n"
	got := RedactSIP(msg)
	for _, secret := range []string{"0123456789abcdef", "feedface", "username", "WVNfX19zZW1jdGwg"} {
		if strings.Contains(got, secret) {
			t.Fatalf("%q left in:\n%s", secret, got)
		}
	}
	for _, keep := range []string{"Authorization: Digest [redacted]\r\n", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]\r\n", "m=audio 4000 RTP/SAVP 0\r\n"} {
		if !strings.Contains(got, keep) {
			t.Fatalf("want %q in:\n%s", keep, got)
		}
	}
	if plain := "OPTIONS sip:x SIP/2.0\r\n\r\n"; RedactSIP(plain) != plain {
		t.Fatal("message without secrets changed")
	}
}

func FuzzRedactSIP(f *testing.F) {
	f.Add("Authorization: Digest response=\"x\"\r\na=crypto:1 AES inline:KEY\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(RedactSIP(s), "inline:KEY") && strings.Contains(strings.ToLower(s), "a=crypto:") && strings.HasPrefix(strings.ToLower(s), "a=crypto:1 x inline:key") {
			t.Fatal("crypto key survived")
		}
	})
}
