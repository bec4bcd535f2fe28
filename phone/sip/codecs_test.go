package sip_test

import (
	"strings"
	"testing"
	"time"

	"switchboard/internal/testpeer"
	"switchboard/phone"
	"switchboard/phone/sip"
)

// TestCodecsWithBaresip: for Opus, G.722 and PCMU in turn, alice (us)
// calls bob (baresip, auto-answer) with only that codec on both sides; the
// call carries our tone to baresip and baresip's tone to us, and the
// answered event names the codec.
func TestCodecsWithBaresip(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	for _, tc := range []struct {
		name string // as Switchboard and baresip spell it
		rate int    // baresip's decoded (received) audio rate
	}{
		{"opus", 48000},
		{"G722", 16000},
		{"PCMU", 8000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
				ToneHz: peerTone, Codecs: []string{tc.name}, AutoAnswer: true})
			c := registered(t, k, func(sc *sip.Config, _ *phone.Config) { sc.Codecs = []string{tc.name} })
			if _, err := c.Dial("alice-udp", "bob"); err != nil {
				t.Fatal(err)
			}
			ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
			if !strings.EqualFold(ans.Call.Codec, tc.name) {
				t.Fatalf("answered with codec %q, want %s", ans.Call.Codec, tc.name)
			}
			// We hear baresip (our recorder is 8 kHz; phone/sip resamples).
			hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
			// baresip hears us, decoded at the codec's rate.
			w := baresipHears(t, b, 500*time.Millisecond, ourTone)
			if w.Rate != tc.rate {
				t.Errorf("baresip decoded at %d Hz, want %d (is %s really in use?)", w.Rate, tc.rate, tc.name)
			}
			// RFC 4733 both ways (with Opus baresip only takes
			// telephone-event/8000, so events run at 8 kHz beside 48 kHz audio).
			if err := c.SendDTMF("", "5", false); err != nil {
				t.Fatal(err)
			}
			if ev, err := b.WaitEvent(ctxT(t, 5*time.Second), func(e testpeer.Event) bool { return e.Type == "CALL_DTMF_START" }); err != nil || ev.Param != "5" {
				t.Fatalf("baresip DTMF %q, %v; want 5", ev.Param, err)
			}
			if err := b.SendDTMF(ctxT(t, 5*time.Second), "8"); err != nil {
				t.Fatal(err)
			}
			if ev := c.wait(t, phone.EvDTMF, phone.EvEnded); ev.Digit != "8" {
				t.Fatalf("we got digit %q, want 8", ev.Digit)
			}
			hangUp(t, c, b)

			// baresip calls us: our answer picks the codec from its offer.
			if err := b.Dial(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
				t.Fatal(err)
			}
			in := c.wait(t, phone.EvIncoming, phone.EvEnded)
			if err := c.Answer(in.Call.ID); err != nil {
				t.Fatal(err)
			}
			if ans := c.wait(t, phone.EvAnswered, phone.EvEnded); !strings.EqualFold(ans.Call.Codec, tc.name) {
				t.Fatalf("incoming call answered with codec %q, want %s", ans.Call.Codec, tc.name)
			}
			hears(t, "Switchboard (called)", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
			if w := baresipHears(t, b, 500*time.Millisecond, ourTone); w.Rate != tc.rate {
				t.Errorf("baresip decoded at %d Hz, want %d", w.Rate, tc.rate)
			}
			hangUp(t, c, b)
		})
	}
}

// hangUp ends our only call and waits until both sides saw it end.
func hangUp(t *testing.T, c *core, b *testpeer.Baresip) {
	t.Helper()
	if err := c.Hangup(""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvEnded)
}
