package webrtc_test

import (
	"testing"
	"time"

	"switchboard/internal/testpeer"
	"switchboard/phone"
)

// baresipHears checks that baresip received our tone in the second after `after`.
func baresipHears(t *testing.T, b *testpeer.Baresip, after time.Duration, hz float64) {
	t.Helper()
	w, err := b.WaitReceived(ctxT(t, 10*time.Second), after+time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ok, got, level := testpeer.ListenTone(w.Window(after, time.Second), w.Rate, hz)
	if !ok {
		t.Fatalf("baresip heard %.0f Hz at %.3f, want %.0f Hz", got, level, hz)
	}
	t.Logf("baresip hears %.0f Hz (rms %.3f)", got, level)
}

// gateway starts rtpengine and a Kamailio with websocket listeners anchoring media in it.
func gateway(t *testing.T) *testpeer.Kamailio {
	r := testpeer.StartRtpengine(t)
	return testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users(), WebSocket: true, Rtpengine: r})
}

// TestCallBaresipThroughRtpengine: our WebRTC account (ws and wss) calls
// baresip on plain SIP/RTP and baresip calls us; rtpengine bridges
// DTLS-SRTP+ICE and RTP; tones are heard both ways.
func TestCallBaresipThroughRtpengine(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	b := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}, AnswerMode: "auto"})
	for _, tr := range []phone.Transport{phone.WS, phone.WSS} {
		t.Run("outbound-"+string(tr), func(t *testing.T) {
			c := registeredWS(t, k, tr)
			start := time.Now()
			if _, err := c.Dial("alice-"+string(tr), "bob"); err != nil {
				t.Fatal(err)
			}
			ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
			t.Logf("answered in %v, codec %s", time.Since(start).Round(time.Millisecond), ans.Call.Codec)
			hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), peerTone)
			t.Logf("tone heard %v after dialling", time.Since(start).Round(time.Millisecond))
			baresipHears(t, b, 500*time.Millisecond, ourTone)
			if err := c.Hangup(ans.Call.ID); err != nil {
				t.Fatal(err)
			}
			c.wait(t, phone.EvEnded)
			if _, err := b.WaitEventType(ctxT(t, 10*time.Second), "CALL_CLOSED"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBaresipCallsUs: baresip dials our WebRTC account; we answer.
func TestBaresipCallsUs(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	b := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}})
	c := registeredWS(t, k, phone.WS)
	if err := b.Dial(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
		t.Fatal(err)
	}
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	start := time.Now()
	if err := c.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
	t.Logf("answered, codec %s", ans.Call.Codec)
	hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), peerTone)
	t.Logf("tone heard %v after answering", time.Since(start).Round(time.Millisecond))
	baresipHears(t, b, 500*time.Millisecond, ourTone)
	if err := b.Hangup(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvEnded)
}
