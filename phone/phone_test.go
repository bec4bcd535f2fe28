package phone_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/tone"
	"switchboard/phone"
	"switchboard/phone/phonetest"
)

func start(t *testing.T, cfg phone.Config) (*phone.Phone, *phonetest.FakeSignaler, <-chan phone.Event) {
	t.Helper()
	sig := phonetest.NewFakeSignaler(nil)
	cfg.Signaler = sig
	p := phone.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	_, events := p.Subscribe(ctx)
	return p, sig, events
}

func TestOutboundCallLifecycle(t *testing.T) {
	p, sig, events := start(t, phone.Config{})
	id, err := p.Dial("", "sip:bob@127.0.0.1:5070")
	if err != nil {
		t.Fatal(err)
	}
	s := <-sig.Dials
	if s.Target != "sip:bob@127.0.0.1:5070" {
		t.Fatalf("dialled %q", s.Target)
	}
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvDialing))
	s.Emit(phone.SessionEvent{Kind: phone.SessProgress, Code: 180})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRinging))
	s.Emit(phone.SessionEvent{Kind: phone.SessAnswered, Codec: "PCMA"})
	ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))
	if ev.Call.Codec != "PCMA" || ev.Call.ID != id || ev.Call.State != phone.StateActive {
		t.Fatalf("answered event %+v", ev.Call)
	}
	if err := p.Answer(id); !errors.Is(err, phone.ErrBadState) {
		t.Fatalf("answering an outbound call: %v", err)
	}
	if err := p.Hold(""); err != nil {
		t.Fatal(err)
	}
	s.Expect(t, "hold on")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvHeld))
	if err := p.Resume(id); err != nil {
		t.Fatal(err)
	}
	s.Expect(t, "hold off")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvResumed))
	if err := p.SendDTMF(id, "12#", false); err != nil {
		t.Fatal(err)
	}
	s.Expect(t, "dtmf 12#")
	if err := p.SendDTMF(id, "1x", false); err == nil {
		t.Fatal("bad DTMF digit accepted")
	}
	s.Emit(phone.SessionEvent{Kind: phone.SessDTMF, Digit: '5'})
	if ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvDTMF)); ev.Digit != "5" {
		t.Fatalf("dtmf %q", ev.Digit)
	}
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	s.Expect(t, "hangup")
	ev = phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvEnded))
	if ev.Call.Cause != phone.CauseNormal {
		t.Fatalf("cause %s", ev.Call.Cause)
	}
	if len(p.Snapshot().Calls) != 0 {
		t.Fatal("ended call still in snapshot")
	}
}

func TestFailedCallCause(t *testing.T) {
	p, sig, events := start(t, phone.Config{})
	if _, err := p.Dial("", "sip:bob@127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	s := <-sig.Dials
	s.Emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 486, Cause: phone.CauseBusy, Reason: "486 Busy Here"})
	ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvEnded))
	if ev.Call.Cause != phone.CauseBusy || ev.Call.Reason != "486 Busy Here" {
		t.Fatalf("ended %+v", ev.Call)
	}
}

func TestSecondCallHoldsFirst(t *testing.T) {
	p, sig, events := start(t, phone.Config{})
	first := sig.Ring("sip:carol@127.0.0.1")
	ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvIncoming))
	id1 := ev.Call.ID
	if err := p.Answer(""); err != nil {
		t.Fatal(err)
	}
	first.Expect(t, "answer")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))

	second := sig.Ring("sip:dave@127.0.0.1")
	ev = phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvIncoming))
	id2 := ev.Call.ID
	if err := p.Answer(id2); err != nil {
		t.Fatal(err)
	}
	first.Expect(t, "hold on")
	second.Expect(t, "answer")
	held := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvHeld))
	if held.Call.ID != id1 {
		t.Fatalf("held %s, want %s", held.Call.ID, id1)
	}
	snap := p.Snapshot()
	if snap.Active != id2 || len(snap.Calls) != 2 {
		t.Fatalf("snapshot %+v", snap)
	}
	// With two calls a command without id goes to the active one.
	if err := p.Hangup(""); err != nil {
		t.Fatal(err)
	}
	second.Expect(t, "hangup")
}

func TestIncomingDeclineAndMissed(t *testing.T) {
	p, sig, events := start(t, phone.Config{})
	s := sig.Ring("sip:eve@127.0.0.1")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvIncoming))
	if err := p.Decline("", true); err != nil {
		t.Fatal(err)
	}
	s.Expect(t, "reject 486")
	if ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvEnded)); ev.Call.Cause != phone.CauseBusy {
		t.Fatalf("cause %s", ev.Call.Cause)
	}
	s2 := sig.Ring("sip:eve@127.0.0.1")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvIncoming))
	s2.Emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseCancelled})
	if ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvEnded)); ev.Call.Cause != phone.CauseMissed {
		t.Fatalf("remote cancel before answer: %s, want missed", ev.Call.Cause)
	}
}

func TestAutoAnswerAndRegistration(t *testing.T) {
	p, sig, events := start(t, phone.Config{AutoAnswer: true})
	if err := p.SetAccount(phone.Account{AOR: "sip:Ralf C12441@host.com", Enabled: true}, "pw"); err == nil {
		t.Fatal("invalid account accepted")
	}
	if err := p.SetAccount(phone.Account{ID: "a", AOR: "sip:alice@127.0.0.1", Enabled: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	<-sig.Regs
	ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRegistered))
	if ev.Reg.AccountID != "a" {
		t.Fatalf("reg %+v", ev.Reg)
	}
	s := sig.Ring("sip:bob@127.0.0.1")
	s.Expect(t, "answer")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))
}

// sinkRec is an audio sink that counts the energy of what it gets at hz.
type sinkRec struct {
	mu sync.Mutex
	s  []int16
}

func (r *sinkRec) Format() audio.Format { return audio.Mono8k }
func (r *sinkRec) Write(p []int16) (int, error) {
	r.mu.Lock()
	r.s = append(r.s, p...)
	r.mu.Unlock()
	return len(p), nil
}
func (r *sinkRec) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.s) }

type recAudio struct{ sink *sinkRec }

func (a recAudio) Source() audio.Source { return audio.Silence{F: audio.Mono8k} }
func (a recAudio) Sink() audio.Sink     { return a.sink }

// TestLocalRingback: a 180 without SDP makes the phone play ringback on the
// speaker; early media (183 with SDP) and the answer stop it.
func TestLocalRingback(t *testing.T) {
	rec := &sinkRec{}
	p, sig, events := start(t, phone.Config{Audio: recAudio{rec},
		Ringback: func(f audio.Format) audio.Source { return tone.NewSine(f, 425, 0.5) }})
	if _, err := p.Dial("", "sip:bob@127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	s := <-sig.Dials
	s.Emit(phone.SessionEvent{Kind: phone.SessProgress, Code: 180})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRinging))
	deadline := time.Now().Add(5 * time.Second)
	for rec.len() < 1600 {
		if time.Now().After(deadline) {
			t.Fatal("no ringback played")
		}
		time.Sleep(10 * time.Millisecond) // polling a counter, bounded
	}
	rec.mu.Lock()
	hz, share := audio.DominantFrequency(rec.s[:1600], 8000, 200, 1000, 5)
	rec.mu.Unlock()
	if hz != 425 || share < 0.9 {
		t.Fatalf("ringback %v Hz (share %.2f), want 425 Hz", hz, share)
	}
	s.Emit(phone.SessionEvent{Kind: phone.SessAnswered, Codec: "PCMU"})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))
	n := rec.len()
	time.Sleep(200 * time.Millisecond) // ten ringback periods: nothing may arrive
	if got := rec.len(); got > n+160 {
		t.Fatalf("ringback still playing after answer (%d more samples)", got-n)
	}
}
