package webrtc_test

import (
	"os"
	"strings"
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
	k, _ := gatewayR(t)
	return k
}

func gatewayR(t *testing.T) (*testpeer.Kamailio, *testpeer.Rtpengine) {
	r := testpeer.StartRtpengine(t)
	return testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users(), WebSocket: true, Rtpengine: r}), r
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
			// RFC 4733 events from us reach baresip through rtpengine.
			if err := c.SendDTMF("", "47", false); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"4", "7"} {
				ev, err := b.WaitEvent(ctxT(t, 5*time.Second), func(e testpeer.Event) bool { return e.Type == "CALL_DTMF_START" })
				if err != nil || ev.Param != want {
					t.Fatalf("baresip DTMF %q, %v; want %q", ev.Param, err, want)
				}
			}
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
	st, err := c.CallStats(in.Call.ID)
	if err != nil || st.PacketsReceived < 50 || st.PacketsSent < 50 || st.SRTP == "" {
		t.Fatalf("stats %+v, %v", st, err)
	}
	t.Logf("stats: %s, %d sent, %d received, %d lost, jitter %.1f ms, buffer %.0f ms, SRTP %s, remote %s",
		st.Codec, st.PacketsSent, st.PacketsReceived, st.PacketsLost, st.JitterMs, st.JitterBufferMs, st.SRTP, st.RemoteAddr)
	// RFC 4733 from baresip reaches us.
	if err := b.SendDTMF(ctxT(t, 5*time.Second), "9"); err != nil {
		t.Fatal(err)
	}
	if ev := c.wait(t, phone.EvDTMF, phone.EvEnded); ev.Digit != "9" {
		t.Fatalf("DTMF %q, want 9", ev.Digit)
	}
	if err := b.Hangup(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvEnded)
}

// baresipHearsSoon waits (bounded) until the last second baresip received carries hz.
func baresipHearsSoon(t *testing.T, b *testpeer.Baresip, hz float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		w, err := testpeer.ReadWAV(b.ReceivedWAV())
		if err == nil && w.Duration() > time.Second {
			if ok, _, _ := testpeer.ListenTone(w.Window(w.Duration()-time.Second, time.Second), w.Rate, hz); ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip never heard %.0f Hz again (%v)", hz, err)
		}
		time.Sleep(200 * time.Millisecond) // polling a growing file, bounded by the deadline
	}
}

// TestHoldResumeAndReconnect: on a WebRTC call with baresip we hold
// (baresip hears nothing from us) and resume; then Kamailio is restarted,
// which cuts our websocket: we reconnect, re-register, re-INVITE with an
// ICE restart and audio flows both ways again.
func TestHoldResumeAndReconnect(t *testing.T) {
	skipShort(t)
	k, r := gatewayR(t)
	b := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}, AnswerMode: "auto", Regint: 60})
	c := registeredWS(t, k, phone.WS)
	if _, err := c.Dial("alice-ws", "bob"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), peerTone)
	baresipHearsSoon(t, b, ourTone)

	if err := c.Hold(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvHeld, phone.EvEnded)
	w0, err := testpeer.ReadWAV(b.ReceivedWAV())
	if err != nil {
		t.Fatal(err)
	}
	from := w0.Duration() + 300*time.Millisecond
	time.Sleep(1500 * time.Millisecond) // the held period we listen to; nothing to await
	w1, err := testpeer.ReadWAV(b.ReceivedWAV())
	if err != nil {
		t.Fatal(err)
	}
	if w1.Duration() > from {
		held := w1.Window(from, w1.Duration()-from)
		if ok, hz, level := testpeer.ListenTone(held, w1.Rate, ourTone); ok || level > 0.01 {
			t.Fatalf("baresip still hears us while held: %.0f Hz rms %.3f", hz, level)
		}
	}
	if err := c.Resume(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvResumed, phone.EvEnded)
	baresipHearsSoon(t, b, ourTone)
	t.Log("hold and resume done")

	// Cut the websocket: restart Kamailio (registrations are lost with it).
	paired := logCount(r.LogPath, iceSelected)
	cut := time.Now()
	k.Stop()
	k.Start(t)
	if err := b.WaitRegistered(ctxT(t, 1*time.Second)); err != nil {
		t.Log("baresip registration pending:", err)
	}
	for {
		ev := c.wait(t, phone.EvRegistered)
		if ev.Time.After(cut) {
			break
		}
	}
	t.Logf("re-registered %v after the cut", time.Since(cut).Round(time.Millisecond))
	// The re-INVITE restarts ICE: rtpengine pairs with our newly gathered
	// candidate ("new peer for component" or, when the restart resets its
	// agent, "peer for component").
	waitLogCount(t, r.LogPath, iceSelected, paired+1)
	t.Logf("ICE restarted %v after the cut", time.Since(cut).Round(time.Millisecond))
	mark := c.rec.Len()
	hears(t, "Switchboard after reconnect", c.rec.waitSamples(t, mark+8000, 8000), peerTone)
	baresipHearsSoon(t, b, ourTone)
	t.Logf("audio both ways %v after the cut", time.Since(cut).Round(time.Millisecond))
	if err := c.Hangup(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvEnded)
}

// iceSelected is what rtpengine logs when ICE has selected a peer.
const iceSelected = "peer for component 1 is"

// logCount counts the occurrences of s in the file at path (0 when unreadable).
func logCount(path, s string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), s)
}

// waitLogCount waits (bounded) until the file at path contains s n times.
func waitLogCount(t *testing.T, path, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for logCount(path, s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s logged %q %d times, want %d", path, s, logCount(path, s), n)
		}
		time.Sleep(100 * time.Millisecond) // polling a log file, bounded by the deadline
	}
}
