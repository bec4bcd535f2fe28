package sip

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// TestAuthorizeDigest recomputes, by the formula of RFC 7616 §3.4.1, the
// response our REGISTER carries for MD5 and SHA-256 challenges, with the
// auth user (not the AOR user) and the Request-URI.
func TestAuthorizeDigest(t *testing.T) {
	for alg, h := range map[string]func() hash.Hash{"MD5": md5.New, "SHA-256": sha256.New} {
		r := &registration{pw: "s3cret", t: target{authUser: "ralf_c12441"}}
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "pbx.example.com"})
		res := sip.NewResponse(401, "Unauthorized")
		res.AppendHeader(sip.NewHeader("WWW-Authenticate",
			`Digest realm="example.com", nonce="abc123", qop="auth", algorithm=`+alg))
		if err := r.authorize(req, res); err != nil {
			t.Fatal(err)
		}
		got, err := digest.ParseCredentials(req.GetHeader("Authorization").Value())
		if err != nil {
			t.Fatal(err)
		}
		sum := func(s string) string { x := h(); x.Write([]byte(s)); return hex.EncodeToString(x.Sum(nil)) }
		ha1 := sum("ralf_c12441:example.com:s3cret")
		ha2 := sum("REGISTER:sip:pbx.example.com")
		want := sum(ha1 + ":abc123:" + fmt.Sprintf("%08x", got.Nc) + ":" + got.Cnonce + ":auth:" + ha2)
		if got.Username != "ralf_c12441" || got.URI != "sip:pbx.example.com" || got.Response != want {
			t.Fatalf("%s: credentials %+v, want response %s", alg, got, want)
		}
	}
}
