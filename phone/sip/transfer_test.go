package sip_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/wavfile"
	"switchboard/internal/testpeer"
	"switchboard/phone"
)

// carolTone is what the transfer target (baresip carol) sends.
const carolTone = 900.0

func carol(t *testing.T, k *testpeer.Kamailio, mode string) *testpeer.Baresip {
	return testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "carol", Password: "carol-secret", Kamailio: k,
		ToneHz: carolTone, Codecs: []string{"PCMU"}, AnswerMode: mode})
}

// answeredFromBob: bob (baresip) calls alice (us) and we answer; both hear
// each other.
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

// TestBlindTransfer: bob calls us; we blind-transfer bob to carol; bob and
// carol talk (carol hears bob's tone) and our leg ends. A busy target
// (carol rejects: 486) keeps our call with bob.
func TestBlindTransfer(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "manual")

	t.Run("busy target keeps the call", func(t *testing.T) {
		cl := carol(t, k, "manual")
		c := registered(t, k, nil)
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

	t.Run("success", func(t *testing.T) {
		cl := carol(t, k, "auto")
		c := registered(t, k, nil)
		id := answeredFromBob(t, k, c, b)
		if err := c.Transfer(id, "carol"); err != nil {
			t.Fatal(err)
		}
		c.waitTransfer(t, phone.EvTransfer, phone.XferDone)
		if info := c.waitEnded(t, id); info.Cause != phone.CauseTransferred {
			t.Errorf("our leg ended with %s, want transferred", info.Cause)
		}
		establishedWith(t, cl, "bob@")
		baresipHears(t, cl, 500*time.Millisecond, peerTone)
		if n := len(c.Snapshot().Calls); n != 0 {
			t.Fatalf("%d calls left on our side", n)
		}
		_ = b.Hangup(ctxT(t, 5*time.Second))
	})
}

// TestAttendedTransfer: bob calls us; we consult carol (bob held), then
// complete: bob and carol talk, our legs end. The cancel path hangs up the
// consultation and we talk to bob again.
func TestAttendedTransfer(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "manual")
	cl := carol(t, k, "auto")

	t.Run("cancel", func(t *testing.T) {
		c := registered(t, k, nil)
		id := answeredFromBob(t, k, c, b)
		kid, err := c.Consult(id, "carol")
		if err != nil {
			t.Fatal(err)
		}
		c.waitTransfer(t, phone.EvTransfer, phone.XferConsulting)
		hears(t, "Switchboard (consulting carol)", c.rec.waitSamples(t, c.rec.Len()+8000, 8000), carolTone)
		if err := c.CancelTransfer(kid); err != nil {
			t.Fatal(err)
		}
		c.waitEnded(t, kid)
		c.wait(t, phone.EvResumed, phone.EvEnded)
		hears(t, "Switchboard (back with bob)", c.rec.waitSamples(t, c.rec.Len()+8000, 8000), peerTone)
		baresipHearsSoon(t, b, ourTone)
		if err := c.Hangup(id); err != nil {
			t.Fatal(err)
		}
		if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("complete", func(t *testing.T) {
		c := registered(t, k, nil)
		id := answeredFromBob(t, k, c, b)
		kid, err := c.Consult(id, "carol")
		if err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvAnswered, phone.EvEnded)
		if err := c.CompleteTransfer(id); err != nil {
			t.Fatal(err)
		}
		c.waitTransfer(t, phone.EvTransfer, phone.XferDone)
		if info := c.waitEnded(t, id, kid); info.Cause != phone.CauseTransferred {
			t.Errorf("bob's leg ended with %s, want transferred", info.Cause)
		}
		establishedWith(t, cl, "bob@")
		baresipHears(t, cl, 500*time.Millisecond, peerTone)
		baresipHearsSoon(t, b, carolTone)
		_ = b.Hangup(ctxT(t, 5*time.Second))
	})
}

// runSippAt runs scenario file (testdata/name, with EXTRA_HEADER replaced)
// from sippPort against target "host:port"; the result arrives on the
// returned channel.
func runSippAt(t *testing.T, name, extra string, sippPort int, target string) <-chan error {
	t.Helper()
	scen, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, bytes.ReplaceAll(scen, []byte("EXTRA_HEADER"), []byte(extra)), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	mport := testpeer.FreePort(t, "udp")
	go func() {
		out, err := testpeer.RunSipp(ctxT(t, 40*time.Second), t, "-sf", path, "-p", fmt.Sprint(sippPort),
			"-mi", "127.0.0.1", "-mp", fmt.Sprint(mport), "-m", "1", target)
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, out)
		}
		done <- err
	}()
	return done
}

// pbxAccount is an account on a "PBX" played by sipp at sippPort: no
// registration (the PBX knows us by address), park code *700.
func pbxAccount(sippPort int) phone.Account {
	return phone.Account{ID: "pbx", AOR: "sip:alice@switchboard.test", Registrar: fmt.Sprintf("sip:127.0.0.1:%d", sippPort),
		Transport: phone.UDP, NoRegister: true, Enabled: true, ParkCode: "*700"}
}

func listenAddr(t *testing.T, c *core) string {
	t.Helper()
	return strings.TrimPrefix(c.sig.Listen(), "sip:")
}

// TestPark: the PBX (sipp) delivers a call; we park it: a REFER to the
// park code, the PBX's NOTIFY says it worked, our leg ends.
func TestPark(t *testing.T) {
	skipShort(t)
	sippPort := testpeer.FreePort(t, "udp")
	c := newCore(t, ourTone, nil)
	if err := c.SetAccount(pbxAccount(sippPort), ""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	done := runSippAt(t, "uac_park.xml", "", sippPort, listenAddr(t, c))
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if in.Call.AccountID != "pbx" {
		t.Fatalf("call on account %q", in.Call.AccountID)
	}
	if err := c.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	if err := c.Park(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	c.waitTransfer(t, phone.EvPark, phone.XferDone)
	if info := c.waitEnded(t, in.Call.ID); info.Cause != phone.CauseTransferred {
		t.Errorf("parked call ended with %s", info.Cause)
	}
	if err := <-done; err != nil {
		t.Fatalf("PBX scenario: %v", err)
	}
}

// TestAutoAnswerHeaders: INVITEs asking for auto-answer in the RingCentral,
// Polycom and Yealink forms are answered without the user.
func TestAutoAnswerHeaders(t *testing.T) {
	skipShort(t)
	for name, hdr := range map[string]string{
		"ringcentral": "Alert-Info: Auto Answer\r\n      Call-Info: <sip:pbx@127.0.0.1>;purpose=info;Answer-After=0",
		"polycom":     "Alert-Info: info=alert-autoanswer",
		"yealink":     "Call-Info: <sip:127.0.0.1>;answer-after=0",
	} {
		t.Run(name, func(t *testing.T) {
			c := newCore(t, ourTone, nil)
			done := runSippAt(t, "uac_call.xml", hdr, testpeer.FreePort(t, "udp"), listenAddr(t, c))
			in := c.wait(t, phone.EvIncoming, phone.EvEnded)
			if !in.Call.AutoAnswer {
				t.Errorf("incoming call not marked auto-answer")
			}
			ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
			if d := ans.Time.Sub(in.Time); d < 300*time.Millisecond {
				t.Errorf("answered after %v: the beep must come first", d)
			}
			if err := <-done; err != nil {
				t.Fatalf("caller scenario: %v", err)
			}
		})
	}
}

// TestTransferee: we call bob; bob (baresip) transfers us to carol with a
// REFER; we call carol, tell bob how it goes (NOTIFY) and end up talking
// to carol.
func TestTransferee(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "auto")
	cl := carol(t, k, "auto")
	c := registered(t, k, nil)
	id, err := c.Dial("alice-udp", "bob")
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

// TestFlip: bob calls us; we flip the call to "my other device" (carol's
// baresip): it rings, answers, and bob ends up talking to it.
func TestFlip(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "manual")
	d := carol(t, k, "auto")
	c := registered(t, k, nil)
	id := answeredFromBob(t, k, c, b)
	if err := c.Flip(id, "carol"); err != nil {
		t.Fatal(err)
	}
	c.waitTransfer(t, phone.EvFlip, phone.XferDone)
	c.waitEnded(t, id)
	establishedWith(t, d, "bob@")
	baresipHears(t, d, 500*time.Millisecond, peerTone)
	baresipHearsSoon(t, b, carolTone)
	if n := len(c.Snapshot().Calls); n != 0 {
		t.Fatalf("%d calls left here after the flip", n)
	}
}

// hasTones asserts that samples (at rate) carry every tone of want (each
// at least -26 dBFS) and none of not (each below -40 dBFS).
func hasTones(t *testing.T, who string, samples []int16, rate int, want, not []float64) {
	t.Helper()
	db := func(hz float64) float64 { return 10 * math.Log10(audio.Goertzel(samples, rate, hz)+1e-12) }
	for _, hz := range want {
		if l := db(hz); l < -26 {
			t.Errorf("%s: %.0f Hz only at %.1f dB", who, hz, l)
		} else {
			t.Logf("%s hears %.0f Hz at %.1f dB", who, hz, l)
		}
	}
	for _, hz := range not {
		if l := db(hz); l > -40 {
			t.Errorf("%s: hears %.0f Hz at %.1f dB, should not", who, hz, l)
		}
	}
}

// TestConference: we call bob and carol and merge the calls; each of them
// hears the other and us, we hear both; splitting holds one again.
func TestConference(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "auto")
	cl := carol(t, k, "auto")
	c := registered(t, k, withRecorder(t.TempDir()))
	// baresip names its audio dumps by the second and a re-INVITE starts a
	// new one: let each stream run a second so names never collide.
	bobID, err := c.Dial("alice-udp", "bob")
	if err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	baresipHears(t, b, 0, ourTone)
	if _, err := c.Dial("alice-udp", "carol"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	baresipHears(t, cl, 0, ourTone)
	if err := c.Merge(); err != nil {
		t.Fatal(err)
	}
	if ev := c.wait(t, phone.EvConference, phone.EvEnded); len(ev.Conference) != 2 {
		t.Fatalf("conference %v", ev.Conference)
	}
	start := c.rec.Len() + 8000 // skip the switch-over
	hasTones(t, "Switchboard", c.rec.waitSamples(t, start, 8000), 8000, []float64{peerTone, carolTone}, []float64{ourTone})
	// Carol (never held) is checked by what baresip decoded. baresip 1.0
	// stops dumping what it receives once a call has been on hold, so what
	// bob gets is checked on our side of the wire: the recording of bob's
	// call holds, on its left channel, exactly what we encode for him.
	deadline := time.Now().Add(10 * time.Second)
	for {
		w, err := testpeer.ReadWAV(cl.ReceivedWAV())
		if err == nil && w.Duration() > 2*time.Second {
			last := w.Window(w.Duration()-time.Second, time.Second)
			if audio.Goertzel(last, w.Rate, peerTone) > 0.003 || time.Now().After(deadline) {
				hasTones(t, "carol (baresip)", last, w.Rate, []float64{ourTone, peerTone}, []float64{carolTone})
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("carol: no received audio (%v)", err)
		}
		time.Sleep(200 * time.Millisecond) // polling a growing file, bounded by the deadline
	}
	if err := c.Record(bobID, true); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRecording, phone.EvEnded)
	c.rec.waitSamples(t, c.rec.Len(), 12000)
	if err := c.Record(bobID, false); err != nil {
		t.Fatal(err)
	}
	rec := c.wait(t, phone.EvRecording, phone.EvEnded)
	s, f, err := wavfile.ReadAll(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	var toBob []int16
	for i := 0; i+1 < len(s); i += 2 {
		toBob = append(toBob, s[i])
	}
	hasTones(t, "sent to bob", toBob[len(toBob)/4:], f.Rate, []float64{ourTone, carolTone}, []float64{peerTone})
	if err := c.Split(""); err != nil {
		t.Fatal(err)
	}
	if ev := c.wait(t, phone.EvConference, phone.EvEnded); len(ev.Conference) != 0 {
		t.Fatalf("after split: conference %v", ev.Conference)
	}
	c.wait(t, phone.EvHeld, phone.EvEnded)
}

// rcAccount is a RingCentral account whose "server" is sipp at sippPort.
func rcAccount(sippPort int) phone.Account {
	a := pbxAccount(sippPort)
	a.ID, a.Provider, a.ParkCode = "rc", phone.ProviderRingCentral, ""
	return a
}

// TestRingCentralPark: park on a RingCentral account is its callpark
// command over INFO; the server's result INFO names the park extension and
// we hang up.
func TestRingCentralPark(t *testing.T) {
	skipShort(t)
	sippPort := testpeer.FreePort(t, "udp")
	c := newCore(t, ourTone, nil)
	if err := c.SetAccount(rcAccount(sippPort), ""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	done := runSippAt(t, "rc_park.xml", "", sippPort, listenAddr(t, c))
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if err := c.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	if err := c.Park(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	ev := c.waitTransfer(t, phone.EvPark, phone.XferDone)
	if ev.Transfer.Extension != "813" {
		t.Errorf("park extension %q, want 813", ev.Transfer.Extension)
	}
	if info := c.waitEnded(t, in.Call.ID); info.Cause != phone.CauseTransferred {
		t.Errorf("parked call ended with %s", info.Cause)
	}
	if err := <-done; err != nil {
		t.Fatalf("RingCentral scenario: %v", err)
	}
}

// TestRingCentralVoicemail: a ringing RingCentral call is confirmed (Cmd
// 17) and, on the user's request, sent to voicemail (Cmd 11); the server's
// CANCEL ends it as forwarded, not missed.
func TestRingCentralVoicemail(t *testing.T) {
	skipShort(t)
	sippPort := testpeer.FreePort(t, "udp")
	c := newCore(t, ourTone, nil)
	if err := c.SetAccount(rcAccount(sippPort), ""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	done := runSippAt(t, "rc_voicemail.xml", "", sippPort, listenAddr(t, c))
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if err := c.SendToVoicemail(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	if info := c.waitEnded(t, in.Call.ID); info.Cause != phone.CauseForwarded || info.Reason != "sent to voicemail" {
		t.Errorf("call ended %s %q, want forwarded / sent to voicemail", info.Cause, info.Reason)
	}
	if err := <-done; err != nil {
		t.Fatalf("RingCentral scenario: %v", err)
	}
}

// TestForwardAlways: with an "always" forwarding rule, a call from the PBX
// is redirected (302 to the target) without ringing here.
func TestForwardAlways(t *testing.T) {
	skipShort(t)
	sippPort := testpeer.FreePort(t, "udp")
	c := newCore(t, ourTone, nil)
	a := pbxAccount(sippPort)
	a.Forwarding.Always = "+15550001111"
	if err := c.SetAccount(a, ""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	done := runSippAt(t, "uac_forwarded.xml", "", sippPort, listenAddr(t, c))
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if info := c.waitEnded(t, in.Call.ID); info.Cause != phone.CauseForwarded {
		t.Errorf("call ended %s %q, want forwarded", info.Cause, info.Reason)
	}
	if err := <-done; err != nil {
		t.Fatalf("caller scenario: %v", err)
	}
}
