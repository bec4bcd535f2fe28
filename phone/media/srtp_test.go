package media

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/codec"
	"switchboard/audio/tone"
)

// testKey is 30 bytes (AES_CM_128 key||salt) in base64.
var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrst"))

// gcmKey is 28 bytes (AEAD_AES_128_GCM key||salt), written with padding.
var gcmKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqr"))

func TestParseCrypto(t *testing.T) {
	good := []struct {
		in    string
		tag   int
		suite string
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey, 1, "AES_CM_128_HMAC_SHA1_80"},
		{"2 AES_CM_128_HMAC_SHA1_32 inline:" + testKey + "|2^31", 2, "AES_CM_128_HMAC_SHA1_32"},
		{"3 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1048576", 3, "AES_CM_128_HMAC_SHA1_80"},
		{"7 AEAD_AES_128_GCM inline:" + gcmKey, 7, "AEAD_AES_128_GCM"},
		{"7 AEAD_AES_128_GCM inline:" + strings.TrimRight(gcmKey, "="), 7, "AEAD_AES_128_GCM"},
		{"123456789 aes_cm_128_hmac_sha1_80 INLINE:" + testKey, 123456789, "AES_CM_128_HMAC_SHA1_80"},
		{"1  AES_CM_128_HMAC_SHA1_80\tinline:" + testKey + " ", 1, "AES_CM_128_HMAC_SHA1_80"},
		{"4 AES_256_CM_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(make([]byte, 46)), 4, "AES_256_CM_HMAC_SHA1_80"},
	}
	for _, g := range good {
		c, err := parseCrypto(g.in)
		if err != nil {
			t.Errorf("%q: %v", g.in, err)
			continue
		}
		if c.tag != g.tag || c.suite.name != g.suite || len(c.key) != c.suite.keyLen+c.suite.saltLen {
			t.Errorf("%q: got tag %d suite %s key %d bytes", g.in, c.tag, c.suite.name, len(c.key))
		}
		// Our formatting parses back to the same line.
		back, err := parseCrypto(c.sdpValue())
		if err != nil || back.tag != c.tag || back.suite != c.suite || !bytes.Equal(back.key, c.key) {
			t.Errorf("%q: round trip %q: %v", g.in, c.sdpValue(), err)
		}
	}
	bad := []string{
		"",
		"1",
		"1 AES_CM_128_HMAC_SHA1_80",
		"x AES_CM_128_HMAC_SHA1_80 inline:" + testKey,
		"-1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey,
		"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + testKey,
		"1 F8_128_HMAC_SHA1_80 inline:" + testKey,
		"1 AES_CM_128_HMAC_SHA1_80 uri:" + testKey,
		"1 AES_CM_128_HMAC_SHA1_80 " + testKey,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^x",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1|2|3",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + ";inline:" + testKey,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " UNENCRYPTED_SRTP",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " KDR=1",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + gcmKey, // 28 bytes for a 30-byte suite
		"1 AEAD_AES_128_GCM inline:" + testKey,       // 30 bytes for a 28-byte suite
		"1 AES_CM_128_HMAC_SHA1_80 inline:!!!notbase64!!!",
		"1 AES_CM_128_HMAC_SHA1_80 inline:",
	}
	for _, in := range bad {
		_, err := parseCrypto(in)
		if !errors.Is(err, ErrBadCrypto) {
			t.Errorf("%q: err %v, want ErrBadCrypto", in, err)
			continue
		}
		if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), gcmKey) {
			t.Errorf("%q: error text carries the key: %v", in, err)
		}
	}
}

func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey)
	f.Add("2 AEAD_AES_128_GCM inline:" + gcmKey + "|2^31")
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4")
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " KDR=1")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := parseCrypto(in)
		if err != nil {
			if !errors.Is(err, ErrBadCrypto) {
				t.Fatalf("error %v does not wrap ErrBadCrypto", err)
			}
			return
		}
		if c.suite == nil || len(c.key) != c.suite.keyLen+c.suite.saltLen || c.tag < 0 || c.tag > 999999999 {
			t.Fatalf("accepted %q as tag %d suite %v key %d bytes", in, c.tag, c.suite, len(c.key))
		}
		back, err := parseCrypto(c.sdpValue())
		if err != nil || back.tag != c.tag || back.suite != c.suite || !bytes.Equal(back.key, c.key) {
			t.Fatalf("round trip of %q failed: %v", in, err)
		}
	})
}

func TestCryptoNeverPrintsKey(t *testing.T) {
	c, err := parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(c.key)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log.Debug("x", "attr", c, "key", c.key, "ptr", &c)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
		fmt.Fprintf(&buf, verb+" "+verb+"\n", c, c.key)
	}
	out := buf.String()
	for _, leak := range []string{testKey, raw, hex.EncodeToString(c.key), strings.ToUpper(hex.EncodeToString(c.key))} {
		if strings.Contains(out, leak) {
			t.Fatalf("key material printed:\n%s", out)
		}
	}
	if !strings.Contains(out, "AES_CM_128_HMAC_SHA1_80") || !strings.Contains(out, redacted) {
		t.Fatalf("formatting lost the suite or the redaction mark:\n%s", out)
	}
}

func TestRedactCrypto(t *testing.T) {
	msg := "INVITE sip:bob@x SIP/2.0\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/SAVP 0\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^31\r\n" +
		"a=crypto:2 AEAD_AES_128_GCM inline:" + gcmKey + "\r\na=sendrecv\r\n"
	got := RedactCrypto(msg)
	if strings.Contains(got, testKey) || strings.Contains(got, gcmKey) {
		t.Fatalf("keys left:\n%s", got)
	}
	if !strings.Contains(got, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]\r\n") ||
		!strings.Contains(got, "a=crypto:2 AEAD_AES_128_GCM inline:[redacted]\r\na=sendrecv\r\n") {
		t.Fatalf("redacted message:\n%s", got)
	}
	if plain := "v=0\r\nm=audio 1 RTP/AVP 0\r\n"; RedactCrypto(plain) != plain {
		t.Fatal("plain SDP changed")
	}
}

// srtpSession is a loopback session with policy p, offering suites
// (default DefaultSRTPSuites).
func srtpSession(t testing.TB, p SRTPPolicy, suites ...string) *Session {
	t.Helper()
	s, err := New(context.Background(), Config{LocalIP: loopback, Codecs: g711, SRTP: p, SRTPSuites: suites})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOfferSRTP(t *testing.T) {
	three := []string{"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_32"}
	for _, tc := range []struct {
		name   string
		p      SRTPPolicy
		suites []string
		proto  string
		want   []string // suites of the a=crypto lines, tags 1, 2, 3...
	}{
		{"off", SRTPOff, nil, "RTP/AVP", nil},
		{"off-with-suites", SRTPOff, three, "RTP/AVP", nil},
		{"optional", SRTPOptional, nil, "RTP/AVP", DefaultSRTPSuites},
		{"mandatory", SRTPMandatory, nil, "RTP/SAVP", DefaultSRTPSuites},
		{"mandatory-three", SRTPMandatory, three, "RTP/SAVP", three},
		{"dedup", SRTPMandatory, []string{"AEAD_AES_128_GCM", "aead_aes_128_gcm"}, "RTP/SAVP", []string{"AEAD_AES_128_GCM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := srtpSession(t, tc.p, tc.suites...)
			offer, err := s.Offer()
			if err != nil {
				t.Fatal(err)
			}
			md := parseSDP(t, offer).MediaDescriptions[0]
			if got := strings.Join(md.MediaName.Protos, "/"); got != tc.proto {
				t.Errorf("proto %s, want %s", got, tc.proto)
			}
			cr := attrs(md, "crypto")
			if len(cr) != len(tc.want) {
				t.Fatalf("crypto lines %q, want %q", cr, tc.want)
			}
			keys := map[string]bool{}
			for i, v := range cr {
				c, err := parseCrypto(v)
				if err != nil {
					t.Fatal(err)
				}
				if c.tag != i+1 || c.suite.name != tc.want[i] {
					t.Errorf("line %d: tag %d suite %s", i, c.tag, c.suite.name)
				}
				if keys[string(c.key)] || bytes.Count(c.key, []byte{0}) == len(c.key) {
					t.Errorf("key of line %d repeats or is zero", i)
				}
				keys[string(c.key)] = true
			}
			// A re-offer repeats the same keys (no re-keying on hold).
			again, err := s.Reoffer(SendOnly)
			if err != nil {
				t.Fatal(err)
			}
			if got := attrs(parseSDP(t, again).MediaDescriptions[0], "crypto"); strings.Join(got, "\n") != strings.Join(cr, "\n") {
				t.Errorf("re-offer crypto %q, first %q", got, cr)
			}
			// Fresh sessions get fresh keys.
			if len(cr) > 0 {
				other, _ := srtpSession(t, tc.p, tc.suites...).Offer()
				if bytes.Contains(other, []byte(cr[0])) {
					t.Error("two sessions share a key")
				}
			}
		})
	}
}

// srtpOffer is a remote offer with proto and crypto lines.
func srtpOffer(proto string, crypto ...string) []byte {
	extra := []string{}
	for _, c := range crypto {
		extra = append(extra, "a=crypto:"+c)
	}
	b := remoteOffer(4000, "0 101", append(extra, "a=rtpmap:101 telephone-event/8000")...)
	return bytes.Replace(b, []byte("RTP/AVP"), []byte(proto), 1)
}

func TestAnswerSRTPPolicy(t *testing.T) {
	c80 := "5 AES_CM_128_HMAC_SHA1_80 inline:" + testKey
	gcm := "6 AEAD_AES_128_GCM inline:" + gcmKey
	unknown := "1 F8_128_HMAC_SHA1_80 inline:" + testKey
	mki := "2 AES_CM_128_HMAC_SHA1_32 inline:" + testKey + "|2^20|1:4"
	for _, tc := range []struct {
		name   string
		p      SRTPPolicy
		offer  []byte
		err    error
		proto  string // of the answer
		tag    int    // 0: no crypto in the answer
		suite  string
		status string // Stats.SRTP after answering
	}{
		{"off/savp", SRTPOff, srtpOffer("RTP/SAVP", c80), ErrUnsupportedTransport, "", 0, "", ""},
		{"off/avp+crypto", SRTPOff, srtpOffer("RTP/AVP", c80), nil, "RTP/AVP", 0, "", ""},
		{"off/plain", SRTPOff, srtpOffer("RTP/AVP"), nil, "RTP/AVP", 0, "", ""},
		{"optional/savp", SRTPOptional, srtpOffer("RTP/SAVP", c80, gcm), nil, "RTP/SAVP", 5, "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80"},
		{"optional/savp-gcm-first", SRTPOptional, srtpOffer("RTP/SAVP", gcm, c80), nil, "RTP/SAVP", 6, "AEAD_AES_128_GCM", "AEAD_AES_128_GCM"},
		{"optional/avp+crypto", SRTPOptional, srtpOffer("RTP/AVP", c80), nil, "RTP/AVP", 5, "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80"},
		{"optional/plain", SRTPOptional, srtpOffer("RTP/AVP"), nil, "RTP/AVP", 0, "", ""},
		{"optional/avp+bad-crypto", SRTPOptional, srtpOffer("RTP/AVP", unknown), nil, "RTP/AVP", 0, "", ""},
		{"optional/savp-no-crypto", SRTPOptional, srtpOffer("RTP/SAVP"), ErrBadCrypto, "", 0, "", ""},
		{"optional/savp-bad-crypto", SRTPOptional, srtpOffer("RTP/SAVP", unknown, mki), ErrBadCrypto, "", 0, "", ""},
		{"optional/savpf", SRTPOptional, srtpOffer("RTP/SAVPF", gcm), nil, "RTP/SAVPF", 6, "AEAD_AES_128_GCM", "AEAD_AES_128_GCM"},
		{"optional/dtls", SRTPOptional, srtpOffer("UDP/TLS/RTP/SAVP", c80), ErrUnsupportedTransport, "", 0, "", ""},
		{"mandatory/plain", SRTPMandatory, srtpOffer("RTP/AVP"), ErrSRTPRequired, "", 0, "", ""},
		{"mandatory/avp+bad-crypto", SRTPMandatory, srtpOffer("RTP/AVP", unknown), ErrBadCrypto, "", 0, "", ""},
		{"mandatory/avp+crypto", SRTPMandatory, srtpOffer("RTP/AVP", c80), nil, "RTP/AVP", 5, "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80"},
		{"mandatory/skips-unusable", SRTPMandatory, srtpOffer("RTP/SAVP", unknown, mki, gcm), nil, "RTP/SAVP", 6, "AEAD_AES_128_GCM", "AEAD_AES_128_GCM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := srtpSession(t, tc.p)
			checkErr := s.CheckOffer(tc.offer)
			ans, err := s.Answer(tc.offer)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(checkErr, tc.err) {
					t.Fatalf("Answer err %v, CheckOffer err %v; want %v", err, checkErr, tc.err)
				}
				if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), gcmKey) {
					t.Fatalf("error carries the key: %v", err)
				}
				return
			}
			if err != nil || checkErr != nil {
				t.Fatalf("Answer err %v, CheckOffer err %v", err, checkErr)
			}
			md := parseSDP(t, ans).MediaDescriptions[0]
			if got := strings.Join(md.MediaName.Protos, "/"); got != tc.proto {
				t.Errorf("answer proto %s, want %s", got, tc.proto)
			}
			cr := attrs(md, "crypto")
			if tc.tag == 0 {
				if len(cr) != 0 {
					t.Errorf("answer has crypto %q", cr)
				}
			} else {
				if len(cr) != 1 {
					t.Fatalf("answer crypto %q, want one line", cr)
				}
				c, err := parseCrypto(cr[0])
				if err != nil || c.tag != tc.tag || c.suite.name != tc.suite {
					t.Fatalf("answer crypto %q (%v), want tag %d %s", cr[0], err, tc.tag, tc.suite)
				}
				if strings.Contains(cr[0], testKey) || strings.Contains(cr[0], gcmKey) {
					t.Fatal("we answered with the peer's key")
				}
			}
			if got := s.Stats().SRTP; got != tc.status {
				t.Errorf("Stats.SRTP %q, want %q", got, tc.status)
			}
		})
	}
}

func TestSetAnswerSRTP(t *testing.T) {
	answer := func(proto string, crypto ...string) []byte {
		return bytes.Replace(srtpOffer(proto, crypto...), []byte("o=peer 42 1"), []byte("o=peer 43 1"), 1)
	}
	c80 := "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey
	for _, tc := range []struct {
		name   string
		p      SRTPPolicy
		answer []byte
		err    error
		suite  string
	}{
		{"mandatory/ok", SRTPMandatory, answer("RTP/SAVP", c80), nil, "AES_CM_128_HMAC_SHA1_80"},
		{"mandatory/gcm", SRTPMandatory, answer("RTP/SAVP", "2 AEAD_AES_128_GCM inline:"+gcmKey), nil, "AEAD_AES_128_GCM"},
		{"mandatory/plain", SRTPMandatory, answer("RTP/AVP"), ErrSRTPRequired, ""},
		{"mandatory/savp-no-crypto", SRTPMandatory, answer("RTP/SAVP"), ErrSRTPRequired, ""},
		{"mandatory/wrong-tag", SRTPMandatory, answer("RTP/SAVP", "2 AES_CM_128_HMAC_SHA1_80 inline:"+testKey), ErrBadCrypto, ""},
		{"mandatory/malformed", SRTPMandatory, answer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:short"), ErrBadCrypto, ""},
		{"optional/plain", SRTPOptional, answer("RTP/AVP"), nil, ""},
		{"optional/crypto", SRTPOptional, answer("RTP/AVP", c80), nil, "AES_CM_128_HMAC_SHA1_80"},
		{"optional/savp", SRTPOptional, answer("RTP/SAVP", c80), nil, "AES_CM_128_HMAC_SHA1_80"},
		{"off/savp", SRTPOff, answer("RTP/SAVP", c80), ErrUnsupportedTransport, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := srtpSession(t, tc.p, "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM")
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			err := s.SetAnswer(tc.answer)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("SetAnswer err %v, want %v", err, tc.err)
			}
			if got := s.Stats().SRTP; got != tc.suite {
				t.Errorf("Stats.SRTP %q, want %q", got, tc.suite)
			}
		})
	}
}

// keepCrypto returns an SDP edit that keeps only the a=crypto line of suite.
func keepCrypto(suite string) func(string) string {
	return func(sdp string) string {
		var out []string
		for _, l := range strings.SplitAfter(sdp, "\n") {
			if strings.HasPrefix(l, "a=crypto:") && !strings.Contains(l, " "+suite+" ") {
				continue
			}
			out = append(out, l)
		}
		return strings.Join(out, "")
	}
}

func TestSRTPCallEachSuite(t *testing.T) {
	for _, name := range SRTPSuites() {
		t.Run(name, func(t *testing.T) {
			su := suiteByName(name)
			c := startCall(t, Config{SRTP: SRTPMandatory, RTCPInterval: 100 * time.Millisecond, SRTPSuites: []string{name}}, nil)
			c.recB.waitTone(t, 0, 700)
			c.recA.waitTone(t, 0, 1300)
			eventually(t, "SRTCP reports both ways", func() bool {
				return c.a.Stats().RTCPReceived > 0 && c.b.Stats().RTCPReceived > 0
			})
			for _, s := range []*Session{c.a, c.b} {
				st := s.Stats()
				if st.SRTP != su.name || st.SRTPFailures != 0 || st.Ignored != 0 {
					t.Errorf("stats: SRTP %q failures %d ignored %d", st.SRTP, st.SRTPFailures, st.Ignored)
				}
				if st.BytesReceived != 160*st.PacketsReceived {
					t.Errorf("payload bytes %d for %d packets (the SRTP tag counted?)", st.BytesReceived, st.PacketsReceived)
				}
			}
			// Hold and resume re-negotiate without re-keying: audio goes on.
			offer, err := c.a.Reoffer(SendOnly)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := c.b.UpdateRemote(offer)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.a.SetAnswer(ans); err != nil {
				t.Fatal(err)
			}
			if offer, err = c.a.Reoffer(SendRecv); err != nil {
				t.Fatal(err)
			}
			if ans, err = c.b.UpdateRemote(offer); err != nil {
				t.Fatal(err)
			}
			if err := c.a.SetAnswer(ans); err != nil {
				t.Fatal(err)
			}
			mark := c.recB.len()
			c.recB.waitTone(t, mark, 700)
			if st := c.b.Stats(); st.SRTP != su.name || st.SRTPFailures != 0 {
				t.Errorf("after hold/resume: %q, %d failures", st.SRTP, st.SRTPFailures)
			}
		})
	}
}

func TestSRTPOptionalMeetsPlain(t *testing.T) {
	// Our optional offer to a peer with SRTP off: a plain call.
	a := srtpSession(t, SRTPOptional)
	b := srtpSession(t, SRTPOff)
	connect(t, a, b, nil)
	if a.Stats().SRTP != "" || b.Stats().SRTP != "" {
		t.Fatal("SRTP negotiated with a peer that has it off")
	}
	// Two optional peers encrypt.
	c := startCall(t, Config{SRTP: SRTPOptional}, nil)
	c.recB.waitTone(t, 0, 700)
	c.recA.waitTone(t, 0, 1300)
	if c.a.Stats().SRTP != DefaultSRTPSuites[0] {
		t.Fatalf("optional/optional: %q", c.a.Stats().SRTP)
	}
	// Mandatory refuses an optional peer's plain answer... and a plain
	// re-offer once encrypted (no downgrade).
	plain := remoteOffer(4000, "0")
	if _, err := c.a.UpdateRemote(plain); !errors.Is(err, ErrSRTPRequired) {
		t.Fatalf("downgrade by re-INVITE: %v", err)
	}
}

// wrongKey rewrites the key of the (single) a=crypto line of an SDP.
func wrongKey(sdp string) string {
	re := regexp.MustCompile(`inline:([A-Za-z0-9+/=]+)`)
	return re.ReplaceAllStringFunc(sdp, func(m string) string {
		k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(m, "inline:"))
		if err != nil {
			return m
		}
		k[0] ^= 0x55
		return "inline:" + base64.StdEncoding.EncodeToString(k)
	})
}

func TestSRTPWrongKey(t *testing.T) {
	a, err := New(context.Background(), Config{LocalIP: loopback, Codecs: g711, SRTP: SRTPMandatory})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(context.Background(), Config{LocalIP: loopback, Codecs: g711, SRTP: SRTPMandatory})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	offer, err := a.Offer()
	if err != nil {
		t.Fatal(err)
	}
	ans, err := b.Answer([]byte(keepCrypto("AES_CM_128_HMAC_SHA1_80")(string(offer))))
	if err != nil {
		t.Fatal(err)
	}
	// A believes B sends with another key: B's packets fail authentication.
	if err := a.SetAnswer([]byte(wrongKey(string(ans)))); err != nil {
		t.Fatal(err)
	}
	recA, recB := newRecorder(), newRecorder()
	if err := a.Start(tone.NewSine(audio.Mono8k, 700, 0.5), recA); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(tone.NewSine(audio.Mono8k, 1300, 0.5), recB); err != nil {
		t.Fatal(err)
	}
	recB.waitTone(t, 0, 700) // A -> B is keyed right
	eventually(t, "SRTP failures at A", func() bool { return a.Stats().SRTPFailures >= 25 })
	got := recA.since(0)
	if len(got) > 0 && !silent(got) {
		hz, share := audio.DominantFrequency(got, 8000, 300, 2000, 10)
		t.Fatalf("A plays audio with the wrong key: %.0f Hz share %.2f rms %.3f", hz, share, audio.RMS(got))
	}
	if st := a.Stats(); st.PacketsReceived != 0 || st.SRTP == "" {
		t.Fatalf("A stats %+v", st)
	}
	// Plain RTP injected to a mandatory session is dropped as well.
	raw := rawPeer(t)
	defer raw.Close()
	pkt := make([]byte, 172)
	pkt[0], pkt[1] = 0x80, 0
	before := a.Stats().SRTPFailures
	for range 5 {
		raw.WriteToUDPAddrPort(pkt, a.LocalAddr())
	}
	eventually(t, "plain RTP rejected", func() bool { return a.Stats().SRTPFailures >= before+5 })
	if a.Stats().PacketsReceived != 0 {
		t.Fatal("plain RTP accepted by an SRTP session")
	}
}

// relay forwards UDP between two sessions and records what A sends.
type relay struct {
	toA, toB *net.UDPConn // toA faces A (A sends here), toB faces B
	mu       sync.Mutex
	fromA    [][]byte
}

func newRelay(t *testing.T, a, b netip.AddrPort) *relay {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	r := &relay{toA: listen(), toB: listen()}
	pump := func(in, out *net.UDPConn, dest netip.AddrPort, record bool) {
		buf := make([]byte, 2048)
		for {
			n, _, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if record {
				r.mu.Lock()
				r.fromA = append(r.fromA, append([]byte(nil), buf[:n]...))
				r.mu.Unlock()
			}
			out.WriteToUDPAddrPort(buf[:n], dest)
		}
	}
	go pump(r.toA, r.toB, b, true)
	go pump(r.toB, r.toA, a, false)
	return r
}

func (r *relay) port(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

// captured decodes the payloads A sent as if they were plain PCMU (RTP
// header skipped; an SRTP tag, if any, decodes as a little noise).
func (r *relay) captured(t *testing.T) []int16 {
	t.Helper()
	dec, _ := codec.ByName("PCMU")
	r.mu.Lock()
	defer r.mu.Unlock()
	var pcm []int16
	frame := make([]int16, 4096)
	for _, p := range r.fromA {
		if len(p) <= 12 || p[1]&0x7f != 0 {
			continue // not PCMU audio (DTMF, junk)
		}
		n, err := dec.Decode(frame, p[12:])
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, frame[:n]...)
	}
	return pcm
}

// TestSRTPCaptureShowsNoTone is the "packet capture" proof: a relay between
// two sessions records A's datagrams. With SRTP off the recorded payloads,
// decoded as PCMU, carry A's 700 Hz tone; with SRTP they are noise, while B
// (holding the key) still hears the tone.
func TestSRTPCaptureShowsNoTone(t *testing.T) {
	for _, p := range []SRTPPolicy{SRTPOff, SRTPOptional, SRTPMandatory} {
		t.Run(p.String(), func(t *testing.T) {
			cfg := Config{LocalIP: loopback, Codecs: []string{"PCMU"}, SRTP: p, RTCPInterval: time.Minute}
			a, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			r := newRelay(t, a.LocalAddr(), b.LocalAddr())
			via := func(sdp []byte, from *Session, relayPort int) []byte {
				return bytes.Replace(sdp, []byte("m=audio "+strconv.Itoa(int(from.LocalAddr().Port()))+" "),
					[]byte("m=audio "+strconv.Itoa(relayPort)+" "), 1)
			}
			offer, err := a.Offer()
			if err != nil {
				t.Fatal(err)
			}
			ans, err := b.Answer(via(offer, a, r.port(r.toB)))
			if err != nil {
				t.Fatal(err)
			}
			if err := a.SetAnswer(via(ans, b, r.port(r.toA))); err != nil {
				t.Fatal(err)
			}
			recB := newRecorder()
			if err := a.Start(tone.NewSine(audio.Mono8k, 700, 0.5), nil); err != nil {
				t.Fatal(err)
			}
			if err := b.Start(nil, recB); err != nil {
				t.Fatal(err)
			}
			recB.waitTone(t, 0, 700)
			eventually(t, "a second of captured audio", func() bool { return len(r.captured(t)) >= 8000 })
			pcm := r.captured(t)
			hz, share := audio.DominantFrequency(pcm[len(pcm)-8000:], 8000, 300, 2000, 10)
			wantSuite := DefaultSRTPSuites[0]
			if p == SRTPOff {
				wantSuite = ""
			}
			if got := a.Stats().SRTP; got != wantSuite {
				t.Fatalf("Stats.SRTP %q, want %q", got, wantSuite)
			}
			t.Logf("capture decoded as PCMU: %.0f Hz share %.2f", hz, share)
			if p == SRTPOff {
				if hz < 690 || hz > 710 || share < 0.7 {
					t.Fatalf("plain capture should carry the tone: %.0f Hz share %.2f", hz, share)
				}
				return
			}
			// White noise has some strongest bin (700 Hz by chance now and
			// then); a tone is a bin holding a real share of the energy.
			if share > 0.1 {
				t.Fatalf("encrypted capture shows a tone: %.0f Hz share %.2f", hz, share)
			}
		})
	}
}

// TestSRTPKeysNotLogged runs SRTP calls (a good one and one with a wrong
// key) with debug logging and checks that no key material is in the log.
func TestSRTPKeysNotLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var sdps []string
	for _, edit := range []func(string) string{nil, wrongKey} {
		cfg := Config{LocalIP: loopback, Codecs: g711, SRTP: SRTPMandatory, Logger: log, RTCPInterval: 50 * time.Millisecond,
			SRTPSuites: []string{"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_32"}}
		a, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		offer, _ := a.Offer()
		ans, err := b.Answer(offer)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			ans = []byte(edit(string(ans)))
		}
		if err := a.SetAnswer(ans); err != nil {
			t.Fatal(err)
		}
		sdps = append(sdps, string(offer), string(ans))
		recA := newRecorder()
		a.Start(tone.NewSine(audio.Mono8k, 700, 0.5), recA)
		b.Start(tone.NewSine(audio.Mono8k, 1300, 0.5), nil)
		recA.waitSamples(t, 0, 4000)
		a.SendDTMF(context.Background(), "1")
		a.Close()
		b.Close()
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "SRTP on") {
		t.Fatalf("the log does not show the SRTP negotiation at all:\n%s", out)
	}
	re := regexp.MustCompile(`inline:([A-Za-z0-9+/=]+)`)
	n := 0
	for _, sdp := range sdps {
		for _, m := range re.FindAllStringSubmatch(sdp, -1) {
			key, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, leak := range []string{m[1], strings.TrimRight(m[1], "="), hex.EncodeToString(key),
				string(key), fmt.Sprint(key), fmt.Sprintf("%x", key[:8])} {
				if strings.Contains(out, leak) {
					t.Fatalf("key material %q in the log", leak)
				}
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d keys checked", n)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestNewRejectsUnknownSRTPConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{LocalIP: loopback, SRTP: SRTPPolicy(7)}); err == nil {
		t.Fatal("policy 7 accepted")
	}
	if _, err := New(context.Background(), Config{LocalIP: loopback, SRTP: SRTPMandatory, SRTPSuites: []string{"F8_128_HMAC_SHA1_80"}}); err == nil {
		t.Fatal("unknown suite accepted")
	}
}

// TestSRTPOfferFitsUDP: with the default suites, an offer of every codec
// stays small enough that an authenticated INVITE fits sipgo's 1300-byte
// UDP limit (the SDP was 403 bytes plain; three crypto lines made it 649
// and broke authenticated INVITEs over UDP).
func TestSRTPOfferFitsUDP(t *testing.T) {
	s, err := New(context.Background(), Config{LocalIP: loopback, SRTP: SRTPMandatory})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	offer, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if len(offer) > 500 {
		t.Fatalf("default SRTP offer is %d bytes:\n%s", len(offer), offer)
	}
}

// TestSRTPReofferKeepsTransport: a re-offer (hold) keeps the transport and
// suite the peer accepted, so the peer does not see a transport change.
func TestSRTPReofferKeepsTransport(t *testing.T) {
	gcm := "6 AEAD_AES_128_GCM inline:" + gcmKey
	for _, tc := range []struct {
		name  string
		p     SRTPPolicy
		offer []byte
		proto string
	}{
		{"mandatory-answered-avp", SRTPMandatory, srtpOffer("RTP/AVP", gcm), "RTP/AVP"},
		{"optional-answered-savpf", SRTPOptional, srtpOffer("RTP/SAVPF", gcm), "RTP/SAVPF"},
		{"optional-answered-savp", SRTPOptional, srtpOffer("RTP/SAVP", gcm), "RTP/SAVP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := srtpSession(t, tc.p)
			if _, err := s.Answer(tc.offer); err != nil {
				t.Fatal(err)
			}
			re, err := s.Reoffer(SendOnly)
			if err != nil {
				t.Fatal(err)
			}
			md := parseSDP(t, re).MediaDescriptions[0]
			if got := strings.Join(md.MediaName.Protos, "/"); got != tc.proto {
				t.Errorf("re-offer proto %s, want %s", got, tc.proto)
			}
			cr := attrs(md, "crypto")
			if len(cr) == 0 || !strings.Contains(cr[0], "AEAD_AES_128_GCM") {
				t.Errorf("re-offer crypto %q: the active suite should come first", cr)
			}
		})
	}
}

// FuzzAnswerSRTP feeds arbitrary SDP (seeded with SRTP offers) to a
// session with SRTP optional and one with SRTP mandatory.
func FuzzAnswerSRTP(f *testing.F) {
	f.Add(srtpOffer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:"+testKey))
	f.Add(srtpOffer("RTP/AVP", "1 AEAD_AES_128_GCM inline:"+gcmKey+"|2^31", "2 AES_CM_128_HMAC_SHA1_32 inline:"+testKey))
	f.Add(srtpOffer("RTP/SAVPF", "x y z"))
	f.Add(srtpOffer("RTP/SAVP"))
	var ss []*Session
	for _, p := range []SRTPPolicy{SRTPOptional, SRTPMandatory} {
		s, err := New(context.Background(), Config{LocalIP: loopback, SRTP: p})
		if err != nil {
			f.Fatal(err)
		}
		defer s.Close()
		ss = append(ss, s)
	}
	f.Fuzz(func(t *testing.T, offer []byte) {
		for _, s := range ss {
			s.CheckOffer(offer)
			if ans, err := s.Answer(offer); err == nil {
				if _, err := parseRemote(ans); err != nil {
					t.Fatalf("our answer does not parse: %v", err)
				}
			}
			s.UpdateRemote(offer)
			s.Offer()
			s.SetAnswer(offer)
		}
	})
}
