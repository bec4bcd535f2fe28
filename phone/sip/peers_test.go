package sip_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/codec"
	"switchboard/audio/tone"
	"switchboard/internal/testpeer"
	"switchboard/phone"
	"switchboard/phone/sip"
)

const (
	ourTone  = 500.0  // what Switchboard sends
	peerTone = 1200.0 // what baresip sends
)

func users() map[string]string {
	return map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
}

// account is alice on k over transport.
func account(k *testpeer.Kamailio, transport string) phone.Account {
	return phone.Account{ID: "alice-" + transport, AOR: "sip:alice@" + k.Domain,
		Registrar: "sip:" + k.Addr(transport), Transport: phone.Transport(transport),
		CAFile: k.CAFile, Expiry: 120 * time.Second, Enabled: true}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers skipped with -short")
	}
}

func TestRegisterOverEachTransport(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	for _, tr := range []string{"udp", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			c := newCore(t, ourTone, nil)
			if err := c.SetAccount(account(k, tr), "alice-secret"); err != nil {
				t.Fatal(err)
			}
			ev := c.wait(t, phone.EvRegistered, phone.EvRegFailed)
			t.Logf("registered over %s, contact %s, expires %v", tr, ev.Reg.Contact, time.Until(ev.Reg.Expires).Round(time.Second))
			if d := time.Until(ev.Reg.Expires); d < 100*time.Second || d > 121*time.Second {
				t.Fatalf("binding lifetime %v, want the 120 s asked for", d)
			}
		})
	}
	t.Run("tls-untrusted", func(t *testing.T) {
		c := newCore(t, ourTone, nil)
		a := account(k, "tls")
		a.CAFile = ""
		if err := c.SetAccount(a, "alice-secret"); err != nil {
			t.Fatal(err)
		}
		ev := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
		if !strings.Contains(ev.Reg.Reason, "certificate") {
			t.Fatalf("reason %q, want a certificate problem", ev.Reg.Reason)
		}
	})
	t.Run("sha256", func(t *testing.T) {
		k2 := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users(), Algorithm: "SHA-256"})
		c := newCore(t, ourTone, nil)
		if err := c.SetAccount(account(k2, "udp"), "alice-secret"); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	})
}

func TestWrongPassword(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	c := newCore(t, ourTone, nil)
	if err := c.SetAccount(account(k, "udp"), "not-the-password"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ev := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
	if ev.Reg.Reason != "wrong password" || ev.Reg.Code != 401 {
		t.Fatalf("reg_failed %q (%d), want \"wrong password\" (401)", ev.Reg.Reason, ev.Reg.Code)
	}
	// Backoff: the next attempt comes about 2 s later, the one after 4 s
	// later; no more than one attempt per step.
	second := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
	gap := second.Time.Sub(ev.Time)
	if gap < 1500*time.Millisecond || gap > 3*time.Second {
		t.Fatalf("second attempt after %v, want about 2 s", gap)
	}
	third := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
	if gap := third.Time.Sub(second.Time); gap < 3*time.Second || gap > 5500*time.Millisecond {
		t.Fatalf("third attempt after %v, want about 4 s", gap)
	}
	t.Logf("3 attempts in %v", time.Since(start).Round(time.Millisecond))
}

// registered returns a core registered as alice on k.
func registered(t *testing.T, k *testpeer.Kamailio, mod func(*sip.Config, *phone.Config)) *core {
	t.Helper()
	return registeredOver(t, k, "udp", mod)
}

func registeredOver(t *testing.T, k *testpeer.Kamailio, tr string, mod func(*sip.Config, *phone.Config)) *core {
	t.Helper()
	c := newCore(t, ourTone, mod)
	if err := c.SetAccount(account(k, tr), "alice-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	return c
}

func bob(t *testing.T, k *testpeer.Kamailio, mode string) *testpeer.Baresip {
	return testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}, AnswerMode: mode})
}

// baresipHears checks that baresip received our tone in the last second.
func baresipHears(t *testing.T, b *testpeer.Baresip, after time.Duration, hz float64) *testpeer.WAV {
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
	return w
}

// received marks how much of baresip's newest received-audio dump existed.
// baresip starts a new dump file when a re-INVITE changes the stream.
type received struct {
	path string
	skip time.Duration
}

func markReceived(t *testing.T, b *testpeer.Baresip) received {
	t.Helper()
	w, err := b.WaitReceived(ctxT(t, 5*time.Second), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Skip what was in flight when the hold took effect.
	return received{path: b.ReceivedWAV(), skip: w.Duration() + 300*time.Millisecond}
}

// since returns the (8 kHz mono) audio baresip received after the mark.
func (r received) since(t *testing.T, b *testpeer.Baresip) []int16 {
	t.Helper()
	p := b.ReceivedWAV()
	w, err := testpeer.ReadWAV(p)
	if err != nil {
		t.Fatal(err)
	}
	if p != r.path {
		return w.Mono()
	}
	if w.Duration() <= r.skip {
		return nil
	}
	return w.Window(r.skip, w.Duration()-r.skip)
}

// baresipHearsSoon waits (bounded) until the last second baresip received
// carries hz.
func baresipHearsSoon(t *testing.T, b *testpeer.Baresip, hz float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w, err := testpeer.ReadWAV(b.ReceivedWAV())
		if err == nil && w.Duration() > time.Second {
			last := w.Window(w.Duration()-time.Second, time.Second)
			if ok, _, _ := testpeer.ListenTone(last, w.Rate, hz); ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip never heard %.0f Hz again (%v)", hz, err)
		}
		time.Sleep(200 * time.Millisecond) // polling a growing file, bounded by the deadline
	}
}

func TestCallBaresip(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "auto")
	for _, tr := range []string{"udp", "tls"} {
		t.Run(tr, func(t *testing.T) { callBaresip(t, k, b, tr) })
	}
}

// callBaresip: alice (us, over tr) calls bob (baresip, auto-answer).
func callBaresip(t *testing.T, k *testpeer.Kamailio, b *testpeer.Baresip, tr string) {
	c := registeredOver(t, k, tr, nil)
	if _, err := c.Dial("alice-"+tr, "bob"); err != nil {
		t.Fatal(err)
	}
	ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
	if ans.Call.Codec != "PCMU" {
		t.Fatalf("codec %s", ans.Call.Codec)
	}
	hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
	baresipHears(t, b, 500*time.Millisecond, ourTone)

	// DTMF by RFC 4733 reaches baresip.
	if err := c.SendDTMF("", "47", false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"4", "7"} {
		ev, err := b.WaitEvent(ctxT(t, 5*time.Second), func(e testpeer.Event) bool { return e.Type == "CALL_DTMF_START" })
		if err != nil || ev.Param != want {
			t.Fatalf("baresip DTMF %q, %v; want %q", ev.Param, err, want)
		}
	}

	// Hold: baresip gets no audio from us; resume: our tone again.
	if err := c.Hold(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvHeld, phone.EvEnded)
	mark := markReceived(t, b)
	time.Sleep(1500 * time.Millisecond) // the held period we listen to; nothing to await
	if held := mark.since(t, b); len(held) > 0 {
		if ok, hz, level := testpeer.ListenTone(held, 8000, ourTone); ok || level > 0.01 {
			t.Fatalf("baresip still hears us while held: %.0f Hz rms %.3f", hz, level)
		}
	}
	if err := c.Resume(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvResumed, phone.EvEnded)
	// baresip answered our hold with recvonly and stopped sending; hearing
	// it again proves both sides resumed (its own received-audio dump
	// stops after a hold in baresip 1.0, so it cannot tell us).
	hears(t, "Switchboard after resume", c.rec.waitSamples(t, c.rec.Len()+4000, 8000), peerTone)
	baresipHearsSoon(t, b, ourTone)

	if err := c.Hangup(""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
}

func TestBaresipCallsUs(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "manual")
	for _, tr := range []string{"udp", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) { baresipCallsUs(t, k, b, tr) })
	}
}

// baresipCallsUs: bob (baresip, UDP) calls alice registered over tr.
func baresipCallsUs(t *testing.T, k *testpeer.Kamailio, b *testpeer.Baresip, tr string) {
	c := newCore(t, ourTone, nil)
	if err := c.SetAccount(account(k, tr), "alice-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	if err := b.Dial(ctxT(t, 5*time.Second), "sip:alice@"+k.Domain); err != nil {
		t.Fatal(err)
	}
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if !strings.Contains(in.Call.Peer, "bob@") || in.Call.AccountID != "alice-"+tr {
		t.Fatalf("incoming %+v", in.Call)
	}
	if err := c.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+2400, 8000), peerTone)
	baresipHears(t, b, 500*time.Millisecond, ourTone)

	// DTMF both ways: baresip -> us by RFC 4733; us -> baresip by RFC 4733
	// and by SIP INFO (baresip 1.0 cannot send INFO; our own INFO receive
	// path is covered by TestDirectIPCall).
	if err := b.SendDTMF(ctxT(t, 5*time.Second), "8"); err != nil {
		t.Fatal(err)
	}
	if ev := c.wait(t, phone.EvDTMF, phone.EvEnded); ev.Digit != "8" {
		t.Fatalf("digit %q", ev.Digit)
	}
	for _, info := range []bool{false, true} {
		if err := c.SendDTMF("", "3", info); err != nil {
			t.Fatal(err)
		}
		ev, err := b.WaitEvent(ctxT(t, 5*time.Second), func(e testpeer.Event) bool { return e.Type == "CALL_DTMF_START" })
		if err != nil || ev.Param != "3" {
			t.Fatalf("baresip DTMF (info=%v) %q, %v", info, ev.Param, err)
		}
	}
	if err := b.Hangup(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ev := c.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseNormal {
		t.Fatalf("cause %s", ev.Call.Cause)
	}
	if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
}

func TestCallFailures(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	b := bob(t, k, "manual")
	c := registered(t, k, nil)

	t.Run("cancel while ringing", func(t *testing.T) {
		if _, err := c.Dial("alice-udp", "bob"); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvRinging, phone.EvEnded)
		if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_INCOMING"); err != nil {
			t.Fatal(err)
		}
		if err := c.Hangup(""); err != nil {
			t.Fatal(err)
		}
		if ev := c.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseCancelled {
			t.Fatalf("cause %s", ev.Call.Cause)
		}
		if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_CLOSED"); err != nil {
			t.Fatalf("baresip never saw the CANCEL: %v", err)
		}
	})
	t.Run("busy", func(t *testing.T) {
		if _, err := c.Dial("alice-udp", "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.WaitEventType(ctxT(t, 5*time.Second), "CALL_INCOMING"); err != nil {
			t.Fatal(err)
		}
		if err := b.Hangup(ctxT(t, 5*time.Second)); err != nil { // baresip rejects with 486
			t.Fatal(err)
		}
		if ev := c.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseBusy {
			t.Fatalf("cause %s (%s)", ev.Call.Cause, ev.Call.Reason)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		if _, err := c.Dial("alice-udp", "nobody"); err != nil {
			t.Fatal(err)
		}
		if ev := c.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseNotFound {
			t.Fatalf("cause %s (%s)", ev.Call.Cause, ev.Call.Reason)
		}
	})
}

func TestRegistrarRestart(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	c := registered(t, k, func(s *sip.Config, _ *phone.Config) { s.KeepAlive = 2 * time.Second })
	k.Stop()
	c.wait(t, phone.EvRegFailed)
	time.Sleep(5 * time.Second) // an outage of a few seconds; nothing to await
	k.Start(t)
	back := time.Now()
	c.wait(t, phone.EvRegistered)
	if d := time.Since(back); d > 10*time.Second {
		t.Fatalf("registered again %v after the registrar returned, want < 10 s", d)
	}
	t.Logf("registered again %v after the registrar returned", time.Since(back).Round(time.Millisecond))
}

func TestHostileInput(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users()})
	c := registered(t, k, nil)
	addr := strings.TrimPrefix(c.sig.Listen(), "sip:")

	var junk [][]byte
	seeds := []string{
		"INVITE sip:alice@x SIP/2.0\r\nVia: SIP/2.0/UDP\r\n\r\n",
		"SIP/2.0 200\r\n\r\n",
		"REGISTER\r\n\r\n",
		"INVITE sip:alice@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1\r\nCSeq: abc OPTIONS\r\nCall-ID: 1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n\r\n",
		"\x00\x01\x02\xff", "\r\n\r\n", strings.Repeat("A", 1400),
	}
	for i := 0; i < 300; i++ {
		s := seeds[i%len(seeds)]
		junk = append(junk, []byte(fmt.Sprintf("%s%d", s[:len(s)*(i%7+1)/7], i)))
	}
	testpeer.SendUDP(t, addr, junk)

	// A scanner's INVITE from an address that is not our registrar.
	res, err := testpeer.SendRequest(ctxT(t, 5*time.Second), "udp", addr, nil, "INVITE", "sip:alice@"+addr,
		"Content-Type: application/sdp")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 403 {
		t.Fatalf("ghost INVITE got %d %s, want 403", res.Status, res.Reason)
	}
	for _, ev := range drain(c) {
		if ev.Kind == phone.EvIncoming {
			t.Fatal("ghost INVITE rang the phone")
		}
	}
	// Still registered and still answering.
	snap := c.Snapshot()
	if len(snap.Accounts) != 1 || snap.Accounts[0].State != phone.RegRegistered {
		t.Fatalf("registration after hostile input: %+v", snap.Accounts)
	}
	if res, err := testpeer.SendRequest(ctxT(t, 5*time.Second), "udp", addr, nil, "OPTIONS", "sip:alice@"+addr); err != nil || res.Status != 200 {
		t.Fatalf("OPTIONS after hostile input: %v %v", res, err)
	}
}

func drain(c *core) []phone.Event {
	var evs []phone.Event
	for {
		select {
		case ev := <-c.events:
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

// TestEarlyMedia: the callee (sipp) answers with 183 Session Progress and
// SDP, then plays a tone without ever answering (baresip 1.0 sends no RTP
// in its early mode). We report early media, hear the tone while the call
// is still ringing, and CANCEL.
func TestEarlyMedia(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	wav := filepath.Join(dir, "tone.wav")
	writeMulawWAV(t, wav, peerTone, 2*time.Second)
	scen, err := os.ReadFile("testdata/uas_early_media.xml")
	if err != nil {
		t.Fatal(err)
	}
	scenPath := filepath.Join(dir, "uas.xml")
	if err := os.WriteFile(scenPath, bytes.ReplaceAll(scen, []byte("tone.wav"), []byte(wav)), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testpeer.FreePort(t, "udp")
	mport := testpeer.FreePort(t, "udp")
	sippDone := make(chan error, 1)
	go func() {
		out, err := testpeer.RunSipp(ctxT(t, 30*time.Second), t, "-sf", scenPath, "-p", fmt.Sprint(port),
			"-mi", "127.0.0.1", "-mp", fmt.Sprint(mport), "-m", "1")
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, out)
		}
		sippDone <- err
	}()

	c := newCore(t, ourTone, nil)
	target := fmt.Sprintf("sip:bob@127.0.0.1:%d", port)
	// If sipp is not bound yet, SIP's own INVITE retransmission covers it.
	if _, err := c.Dial("", target); err != nil {
		t.Fatal(err)
	}
	for {
		ev := c.wait(t, phone.EvRinging, phone.EvEnded)
		if ev.Call.EarlyMedia {
			break
		}
	}
	hears(t, "Switchboard before answer", c.rec.waitSamples(t, c.rec.Len()+1600, 4000), peerTone)
	if s := c.Snapshot(); len(s.Calls) != 1 || s.Calls[0].State != phone.StateRinging {
		t.Fatalf("call state %+v, want still ringing", s.Calls)
	}
	if err := c.Hangup(""); err != nil {
		t.Fatal(err)
	}
	if ev := c.wait(t, phone.EvEnded); ev.Call.Cause != phone.CauseCancelled {
		t.Fatalf("cause %s", ev.Call.Cause)
	}
	if err := <-sippDone; err != nil {
		t.Fatalf("sipp scenario (expects CANCEL): %v", err)
	}
}

// writeMulawWAV writes d of a hz tone as 8 kHz G.711 mu-law WAV (format 7),
// the file format sipp's rtp_stream plays.
func writeMulawWAV(t *testing.T, path string, hz float64, d time.Duration) {
	t.Helper()
	pcm := make([]int16, int(d.Seconds()*8000))
	tone.NewSine(audio.Mono8k, hz, 0.5).Read(pcm)
	enc, _ := codec.ByName("PCMU")
	data := make([]byte, len(pcm))
	if _, err := enc.Encode(data, pcm); err != nil {
		t.Fatal(err)
	}
	var h bytes.Buffer
	le := func(v any) { _ = binary.Write(&h, binary.LittleEndian, v) }
	h.WriteString("RIFF")
	le(uint32(36 + len(data)))
	h.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(7)) // mu-law
	le(uint16(1))
	le(uint32(8000))
	le(uint32(8000))
	le(uint16(1))
	le(uint16(8))
	h.WriteString("data")
	le(uint32(len(data)))
	h.Write(data)
	if err := os.WriteFile(path, h.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
