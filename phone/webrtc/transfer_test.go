package webrtc_test

import (
	"strings"
	"testing"
	"time"

	"switchboard/internal/testpeer"
	"switchboard/phone"
)

// Moving WebRTC calls between real peers: our account is on Kamailio's
// websocket (media through rtpengine), bob and carol are baresip on plain
// SIP/RTP. The helpers follow phone/sip/transfer_test.go.

// carolTone is what the transfer target (baresip carol) sends.
const carolTone = 900.0

func bob(t *testing.T, k *testpeer.Kamailio, mode string) *testpeer.Baresip {
	return testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}, AnswerMode: mode})
}

func carol(t *testing.T, k *testpeer.Kamailio, mode string) *testpeer.Baresip {
	return testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "carol", Password: "carol-secret", Kamailio: k,
		ToneHz: carolTone, Codecs: []string{"PCMU"}, AnswerMode: mode})
}

// answeredFromBob: bob (baresip) calls alice (us, over the websocket) and
// we answer; we hear bob.
func answeredFromBob(t *testing.T, k *testpeer.Kamailio, c *core, b *testpeer.Baresip) phone.CallID {
	t.Helper()
	if err := b.Dial(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
		t.Fatal(err)
	}
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if err := c.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "Switchboard (talking to bob)", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
	return in.Call.ID
}

// waitTransfer waits for a transfer event in state (failing on "failed"
// unless that is what is wanted).
func (c *core) waitTransfer(t *testing.T, kind phone.EventKind, state string) phone.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-c.events:
			if ev.Kind != kind || ev.Transfer == nil {
				continue
			}
			t.Logf("%s: %s %d %s", ev.Kind, ev.Transfer.State, ev.Transfer.Code, ev.Transfer.Reason)
			if ev.Transfer.State == state {
				return ev
			}
			if ev.Transfer.State == phone.XferFailed {
				t.Fatalf("%s failed: %d %s", kind, ev.Transfer.Code, ev.Transfer.Reason)
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s %s", kind, state)
		}
	}
}

// waitEnded waits for the calls ids to end and returns the first one's info.
func (c *core) waitEnded(t *testing.T, ids ...phone.CallID) phone.CallInfo {
	t.Helper()
	deadline := time.After(15 * time.Second)
	got := map[phone.CallID]phone.CallInfo{}
	for len(got) < len(ids) {
		select {
		case ev := <-c.events:
			if ev.Kind != phone.EvEnded {
				continue
			}
			for _, id := range ids {
				if ev.Call.ID == id {
					got[id] = *ev.Call
					t.Logf("call %s ended: %s %s", id, ev.Call.Cause, ev.Call.Reason)
				}
			}
		case <-deadline:
			t.Fatalf("calls %v did not all end (%d did)", ids, len(got))
		}
	}
	return got[ids[0]]
}

// establishedWith waits until baresip b has a call with peer established.
func establishedWith(t *testing.T, b *testpeer.Baresip, peer string) {
	t.Helper()
	if _, err := b.WaitEvent(ctxT(t, 15*time.Second), func(e testpeer.Event) bool {
		return e.Type == "CALL_ESTABLISHED" && strings.Contains(e.PeerURI, peer)
	}); err != nil {
		t.Fatalf("baresip %s never talked to %s: %v", b.AOR, peer, err)
	}
}

// TestBlindTransfer: bob calls our WebRTC account; we blind-transfer him
// to carol (REFER over the websocket, bob's NOTIFYs back); bob and carol
// talk (carol hears bob's tone) and our leg ends as transferred. A busy
// target (carol rejects: 486, reported in bob's NOTIFY) keeps our call.
func TestBlindTransfer(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	b := bob(t, k, "manual")

	t.Run("busy target keeps the call", func(t *testing.T) {
		cl := carol(t, k, "manual")
		c := registeredWS(t, k, phone.WS)
		id := answeredFromBob(t, k, c, b)
		if err := c.Transfer(id, "carol"); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.WaitEventType(ctxT(t, 10*time.Second), "CALL_INCOMING"); err != nil {
			t.Fatal(err)
		}
		if err := cl.Hangup(ctxT(t, 5*time.Second)); err != nil { // baresip rejects with 486
			t.Fatal(err)
		}
		ev := c.waitTransfer(t, phone.EvTransfer, phone.XferFailed)
		if ev.Transfer.Code != 486 && !strings.Contains(ev.Transfer.Reason, "486") {
			t.Errorf("failure %d %q, want the target's 486", ev.Transfer.Code, ev.Transfer.Reason)
		}
		snap := c.Snapshot()
		if len(snap.Calls) != 1 || snap.Calls[0].ID != id {
			t.Fatalf("our call with bob is gone after a failed transfer: %+v", snap.Calls)
		}
		if err := c.Hangup(id); err != nil {
			t.Fatal(err)
		}
		if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
		cl.Stop()
	})

	t.Run("success", func(t *testing.T) { blindTransferred(t, k, b) })
}

// blindTransferred is TestBlindTransfer's successful case.
func blindTransferred(t *testing.T, k *testpeer.Kamailio, b *testpeer.Baresip) {
	cl := carol(t, k, "auto")
	c := registeredWS(t, k, phone.WS)
	id := answeredFromBob(t, k, c, b)
	start := time.Now()
	if err := c.Transfer(id, "carol"); err != nil {
		t.Fatal(err)
	}
	c.waitTransfer(t, phone.EvTransfer, phone.XferDone)
	t.Logf("transfer done %v after REFER", time.Since(start).Round(time.Millisecond))
	if info := c.waitEnded(t, id); info.Cause != phone.CauseTransferred {
		t.Errorf("our leg ended with %s, want transferred", info.Cause)
	}
	establishedWith(t, cl, "bob@")
	baresipHears(t, cl, 500*time.Millisecond, peerTone)
	if n := len(c.Snapshot().Calls); n != 0 {
		t.Fatalf("%d calls left on our side", n)
	}
	_ = b.Hangup(ctxT(t, 5*time.Second))
}

// TestAttendedTransfer: bob calls us; we consult carol over WebRTC (bob
// held), then complete: bob's REFER carries carol's dialog in a Replaces,
// bob and carol talk, both our legs end.
func TestAttendedTransfer(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	b := bob(t, k, "manual")
	cl := carol(t, k, "auto")
	c := registeredWS(t, k, phone.WS)
	id := answeredFromBob(t, k, c, b)
	kid, err := c.Consult(id, "carol")
	if err != nil {
		t.Fatal(err)
	}
	c.waitTransfer(t, phone.EvTransfer, phone.XferConsulting)
	hears(t, "Switchboard (consulting carol)", c.rec.waitSamples(t, c.rec.Len()+8000, 8000), carolTone)
	if err := c.CompleteTransfer(id); err != nil {
		t.Fatal(err)
	}
	c.waitTransfer(t, phone.EvTransfer, phone.XferDone)
	if info := c.waitEnded(t, id, kid); info.Cause != phone.CauseTransferred {
		t.Errorf("bob's leg ended with %s, want transferred", info.Cause)
	}
	establishedWith(t, cl, "bob@")
	// carol's newest dump may still be the consultation's for a moment:
	// wait until the latest second she received is bob's tone.
	baresipHearsSoon(t, cl, peerTone)
	baresipHearsSoon(t, b, carolTone)
	_ = b.Hangup(ctxT(t, 5*time.Second))
}

// TestTransferee: we call bob over WebRTC; bob (baresip) transfers us to
// carol with a REFER; we call carol (Referred-By), NOTIFY bob how it goes
// and end up talking to carol.
func TestTransferee(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	b := bob(t, k, "auto")
	cl := carol(t, k, "auto")
	c := registeredWS(t, k, phone.WS)
	id, err := c.Dial("alice-ws", "bob")
	if err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	if _, err := b.Command(ctxT(t, 5*time.Second), "transfer", "sip:carol@"+k.Domain); err != nil {
		t.Fatal(err)
	}
	c.waitTransfer(t, phone.EvTransfer, phone.XferDone)
	if info := c.waitEnded(t, id); info.Cause != phone.CauseTransferred {
		t.Errorf("bob's leg ended with %s", info.Cause)
	}
	snap := c.Snapshot()
	if len(snap.Calls) != 1 || !strings.Contains(snap.Calls[0].Peer, "carol") || snap.Calls[0].State != phone.StateActive {
		t.Fatalf("calls after the transfer: %+v", snap.Calls)
	}
	hears(t, "Switchboard (transferred to carol)", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), carolTone)
	establishedWith(t, cl, "alice@")
	baresipHears(t, cl, 500*time.Millisecond, ourTone)
}
