package sip_test

import (
	"bytes"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/testpeer"
	"switchboard/phone"
	"switchboard/phone/sip"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// srtpCore is alice (UDP, SRTP policy p) registered on k, logging at
// debug level into log. (No SIP trace: turning sipgo's process-wide trace
// on while other cores run is a data race in sipgo; TestRedactHidesSRTPKeys
// covers the trace's redaction.)
func srtpCore(t *testing.T, k *testpeer.Kamailio, log *syncBuffer, p phone.SRTPPolicy) *core {
	t.Helper()
	c := newCore(t, ourTone, func(sc *sip.Config, pc *phone.Config) {
		sc.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		pc.Logger = sc.Logger
	})
	a := account(k, "udp")
	a.SRTP = p
	if err := c.SetAccount(a, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	return c
}

// baresipSRTPCalls counts "SRTP is Enabled" lines in baresip's log.
func baresipSRTPCalls(t *testing.T, b *testpeer.Baresip) int {
	t.Helper()
	log, err := os.ReadFile(b.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(log), "SRTP is Enabled")
}

// TestSRTPWithBaresip: our core with SRTP mandatory and baresip with
// mediaenc=srtp-mand (RTP/SAVP, SDES) call each other through Kamailio and
// hear each other's tones; both sides report SRTP, and our debug log
// carries no key material.
func TestSRTPWithBaresip(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	srtpCallsBothWays(t, k, "srtp-mand", phone.SRTPMandatory)
}

// TestSRTPOptionalWithBaresip: best effort on both sides (our default
// policy, an account with SRTP unset; baresip mediaenc=srtp, RTP/AVP with
// a=crypto) still ends up encrypted.
func TestSRTPOptionalWithBaresip(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	srtpCallsBothWays(t, k, "srtp", "")
}

// srtpCallsBothWays: alice (us, policy p) calls bob (baresip, mediaenc) and
// bob calls alice; tones both ways, SRTP on both sides, no key in our log.
func srtpCallsBothWays(t *testing.T, k *testpeer.Kamailio, mediaenc string, p phone.SRTPPolicy) {
	b := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}, AutoAnswer: true, MediaEnc: mediaenc})
	var log syncBuffer
	c := srtpCore(t, k, &log, p)

	t.Run("we-call", func(t *testing.T) {
		before := baresipSRTPCalls(t, b)
		if _, err := c.Dial("alice-udp", "bob"); err != nil {
			t.Fatal(err)
		}
		ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
		if ans.Call.Codec != "PCMU" {
			t.Fatalf("codec %s", ans.Call.Codec)
		}
		hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
		baresipHears(t, b, 500*time.Millisecond, ourTone)
		if n := baresipSRTPCalls(t, b); n <= before {
			t.Fatal("baresip did not enable SRTP")
		}
		// DTMF events travel encrypted as well.
		if err := c.SendDTMF("", "5", false); err != nil {
			t.Fatal(err)
		}
		if ev, err := b.WaitEvent(ctxT(t, 5*time.Second), func(e testpeer.Event) bool { return e.Type == "CALL_DTMF_START" }); err != nil || ev.Param != "5" {
			t.Fatalf("baresip DTMF %q, %v", ev.Param, err)
		}
		if err := c.Hangup(""); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvEnded)
		if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("bob-calls", func(t *testing.T) {
		before := baresipSRTPCalls(t, b)
		if err := b.Dial(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
			t.Fatal(err)
		}
		in := c.wait(t, phone.EvIncoming, phone.EvEnded)
		if err := c.Answer(in.Call.ID); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvAnswered, phone.EvEnded)
		hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
		baresipHears(t, b, 500*time.Millisecond, ourTone)
		if n := baresipSRTPCalls(t, b); n <= before {
			t.Fatal("baresip did not enable SRTP")
		}
		if err := b.Hangup(ctxT(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if ev := c.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseNormal {
			t.Fatalf("cause %s", ev.Call.Cause)
		}
	})

	out := log.String()
	if n := strings.Count(out, "SRTP on"); n < 2 {
		t.Fatalf("our log shows SRTP on %d times, want both calls:\n%s", n, out)
	}
	if !strings.Contains(out, "suite=AES_CM_128_HMAC_SHA1_80") {
		t.Errorf("suite not logged")
	}
	// No "inline:" key of ours or baresip's is anywhere in the log.
	if m := regexp.MustCompile(`inline:[A-Za-z0-9+/]{20,}`).FindString(out); m != "" {
		t.Fatalf("key material in our log: %s", m)
	}
}

// TestSRTPMandatoryRefusesPlainPeer: with SRTP mandatory we do not fall
// back to plain RTP with a peer that has no SRTP, either way.
func TestSRTPMandatoryRefusesPlainPeer(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "auto") // no mediaenc
	var log syncBuffer
	c := srtpCore(t, k, &log, phone.SRTPMandatory)

	if _, err := c.Dial("alice-udp", "bob"); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, phone.EvEnded, phone.EvAnswered)
	if ev.Call.Cause != phone.CauseMedia {
		t.Fatalf("outbound to a plain peer ended with %s (%s), want media", ev.Call.Cause, ev.Call.Reason)
	}
	t.Logf("outbound: %s (%s)", ev.Call.Cause, ev.Call.Reason)

	if err := b.Dial(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
		t.Fatal(err)
	}
	closed, err := b.WaitEventType(ctxT(t, 10*time.Second), "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	// baresip 1.0 reports the close as "No audio codecs"; its log has the
	// response we sent.
	if l := grepLog(t, b, "488 Not Acceptable Here"); l == "" {
		t.Fatalf("baresip's plain call closed with %q and no 488 in its log", closed.Param)
	}
	for _, e := range drain(c) {
		if e.Kind == phone.EvIncoming {
			t.Fatal("a plain call rang with SRTP mandatory")
		}
	}
}

// grepLog returns the lines of baresip's log that contain any of words.
func grepLog(t *testing.T, b *testpeer.Baresip, words ...string) string {
	t.Helper()
	log, err := os.ReadFile(b.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(log), "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestRedactHidesSRTPKeys: the SIP trace redaction also hides SDES keys.
func TestRedactHidesSRTPKeys(t *testing.T) {
	key := "WVNfX19jb25zdGFudF9rZXlfX19fX19fX19fX19f"
	msg := "SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/SAVP 0\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "\r\n"
	got := sip.Redact([]byte(msg))
	if strings.Contains(got, key) || !strings.Contains(got, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]\r\n") {
		t.Fatalf("redacted:\n%s", got)
	}
}
