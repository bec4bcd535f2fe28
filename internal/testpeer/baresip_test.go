package testpeer

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestBaresipToneCall registers alice and bob, alice calls bob (auto
// answer), each sends its own tone and each recording holds the other's.
func TestBaresipToneCall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kamailio and baresip")
	}
	// udp-udp: bob auto-answers; tcp-tls: bob answers with "accept".
	for _, tr := range [][2]string{{"udp", "udp"}, {"tcp", "tls"}} {
		t.Run(tr[0]+"-"+tr[1], func(t *testing.T) { toneCall(t, tr[0], tr[1], tr[1] == "udp") })
	}
}

func toneCall(t *testing.T, aliceTr, bobTr string, autoAnswer bool) {
	start := time.Now()
	k := StartKamailio(t, KamailioOptions{Users: map[string]string{"alice": "alice-pw", "bob": "bob-pw"}})
	alice := StartBaresip(t, BaresipOptions{User: "alice", Password: "alice-pw", Kamailio: k, Transport: aliceTr, ToneHz: 500, Codecs: []string{"PCMU"}})
	bob := StartBaresip(t, BaresipOptions{User: "bob", Password: "bob-pw", Kamailio: k, Transport: bobTr, ToneHz: 1200, Codecs: []string{"PCMU"}, AutoAnswer: autoAnswer})
	t.Logf("kamailio + 2 baresip registered after %v", time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := alice.Dial(ctx, "sip:bob@"+k.Domain); err != nil {
		t.Fatal(err)
	}
	// baresip 1.0 emits no CALL_INCOMING when it auto-answers.
	if !autoAnswer {
		e, err := bob.WaitEventType(ctx, "CALL_INCOMING")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.PeerURI, "sip:alice@") {
			t.Errorf("CALL_INCOMING from %q", e.PeerURI)
		}
		if err := bob.Answer(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		b    *Baresip
		peer string
	}{{bob, "sip:alice@"}, {alice, "sip:bob@"}} {
		e, err := c.b.WaitEventType(ctx, "CALL_ESTABLISHED")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.PeerURI, c.peer) {
			t.Errorf("%s: CALL_ESTABLISHED peer %q, want %s...", c.b.AOR, e.PeerURI, c.peer)
		}
	}
	t.Logf("call established %v after start", time.Since(start))

	// DTMF alice → bob (RFC 4733).
	if err := alice.SendDTMF(ctx, "5"); err != nil {
		t.Errorf("SendDTMF: %v", err)
	} else if e, err := bob.WaitEventType(ctx, "CALL_DTMF_START"); err != nil {
		t.Errorf("bob got no DTMF: %v", err)
	} else if e.Param != "5" {
		t.Errorf("bob got DTMF %q, want 5", e.Param)
	}

	for _, c := range []struct {
		who  *Baresip
		want float64
	}{{alice, 1200}, {bob, 500}} {
		w, err := c.who.WaitReceived(ctx, 1500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		// One second of audio after the first half second of the call.
		s := w.Window(500*time.Millisecond, time.Second)
		ok, got, level := ListenTone(s, w.Rate, c.want)
		t.Logf("%s received %v at %d Hz/%d ch: dominant %.0f Hz, level %.3f", c.who.AOR, w.Duration(), w.Rate, w.Channels, got, level)
		if !ok {
			t.Errorf("%s: want %v Hz tone, got %.0f Hz level %.3f", c.who.AOR, c.want, got, level)
		}
	}

	if err := alice.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*Baresip{alice, bob} {
		if _, err := b.WaitEventType(ctx, "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("alice events: %s; bob events: %s", alice.eventTypes(), bob.eventTypes())
}
