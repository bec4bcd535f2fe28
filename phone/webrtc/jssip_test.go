package webrtc_test

import (
	"testing"
	"time"

	"switchboard/internal/testpeer"
	"switchboard/phone"
)

// TestCallsWithJsSIP: JsSIP in headless Chromium (bob) and our WebRTC
// account (alice), both on Kamailio's websocket with media through
// rtpengine. Calls both ways; tones heard both ways; DTMF (SIP INFO)
// reaches the browser.
func TestCallsWithJsSIP(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	start := time.Now()
	j := testpeer.StartJsSIP(t, testpeer.JsSIPOptions{WSURL: "ws://" + k.WSAddr, URI: "sip:bob@" + k.Domain,
		Password: "bob-secret", ToneHz: peerTone})
	t.Logf("browser registered %v after start", time.Since(start).Round(time.Millisecond))
	c := registeredWS(t, k, phone.WS)

	t.Run("we-call-browser", func(t *testing.T) {
		if _, err := c.Dial("alice-ws", "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := j.WaitEvent(ctxT(t, 15*time.Second), "incoming"); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if err := j.Answer(ctxT(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
		t.Logf("codec %s", ans.Call.Codec)
		hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), peerTone)
		hz, db, err := j.WaitTone(ctxT(t, 10*time.Second), ourTone)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("browser hears %.0f Hz at %.1f dB, %v after answer", hz, db, time.Since(t0).Round(time.Millisecond))
		if err := c.SendDTMF("", "47", true); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"4", "7"} {
			ev, err := j.WaitEvent(ctxT(t, 5*time.Second), "dtmf")
			if err != nil || ev.Digit != want {
				t.Fatalf("browser DTMF %+v (%v), want %s", ev, err, want)
			}
		}
		if err := c.Hangup(""); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvEnded)
		if _, err := j.WaitEvent(ctxT(t, 5*time.Second), "ended"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("browser-calls-us", func(t *testing.T) {
		if err := j.Call(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
			t.Fatal(err)
		}
		in := c.wait(t, phone.EvIncoming, phone.EvEnded)
		if err := c.Answer(in.Call.ID); err != nil {
			t.Fatal(err)
		}
		ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
		t.Logf("codec %s", ans.Call.Codec)
		if _, err := j.WaitEvent(ctxT(t, 10*time.Second), "confirmed", "failed"); err != nil {
			t.Fatal(err)
		}
		hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), peerTone)
		hz, db, err := j.WaitTone(ctxT(t, 10*time.Second), ourTone)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("browser hears %.0f Hz at %.1f dB", hz, db)

		// The browser holds and resumes: re-INVITEs from the far end.
		if err := j.Hold(ctxT(t, 5*time.Second), true); err != nil {
			t.Fatal(err)
		}
		if ev := c.wait(t, phone.EvRemoteHold, phone.EvEnded); !ev.Call.RemoteHold {
			t.Fatalf("remote hold event %+v", ev.Call)
		}
		if _, err := j.WaitEvent(ctxT(t, 5*time.Second), "hold"); err != nil {
			t.Fatal(err)
		}
		if err := j.Hold(ctxT(t, 5*time.Second), false); err != nil {
			t.Fatal(err)
		}
		if ev := c.wait(t, phone.EvRemoteHold, phone.EvEnded); ev.Call.RemoteHold {
			t.Fatalf("resume event %+v", ev.Call)
		}
		mark := c.rec.Len()
		hears(t, "Switchboard after the browser resumed", c.rec.waitSamples(t, mark+4000, 8000), peerTone)
		if _, _, err := j.WaitTone(ctxT(t, 10*time.Second), ourTone); err != nil {
			t.Fatal(err)
		}
		if err := j.Hangup(ctxT(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvEnded)
	})
}
