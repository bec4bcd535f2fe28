// Package phonetest has scripted stand-ins for the phone core's backends:
// a FakeSignaler whose sessions are driven by the test, and an event
// recorder with bounded waits. Tests of the core use it from package
// phone_test.
package phonetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/phone"
)

// FakeSignaler is a phone.Signaler driven by the test.
type FakeSignaler struct {
	mu       sync.Mutex
	incoming func(phone.Incoming) phone.SessionHandler
	Dials    chan *FakeSession // every Dial, in order
	Regs     chan phone.Account
	regFn    func(ctx context.Context, acct phone.Account, report func(phone.RegStatus)) error
}

// NewFakeSignaler returns a FakeSignaler; reg scripts Register (nil:
// report registered and wait for ctx).
func NewFakeSignaler(reg func(ctx context.Context, acct phone.Account, report func(phone.RegStatus)) error) *FakeSignaler {
	return &FakeSignaler{Dials: make(chan *FakeSession, 16), Regs: make(chan phone.Account, 16), regFn: reg}
}

// Register runs the scripted registration.
func (f *FakeSignaler) Register(ctx context.Context, acct phone.Account, pw string, report func(phone.RegStatus)) error {
	f.Regs <- acct
	if f.regFn != nil {
		return f.regFn(ctx, acct, report)
	}
	report(phone.RegStatus{State: phone.RegRegistered, Reason: "registered"})
	<-ctx.Done()
	report(phone.RegStatus{State: phone.RegUnregistered})
	return nil
}

// Dial records the call and returns a session the test drives.
func (f *FakeSignaler) Dial(ctx context.Context, req phone.DialRequest, h phone.SessionHandler) (phone.Session, error) {
	s := newSession(h)
	s.Target = req.Target
	s.ctx = ctx
	f.Dials <- s
	return s, nil
}

// SetIncoming stores the core's inbound callback.
func (f *FakeSignaler) SetIncoming(fn func(phone.Incoming) phone.SessionHandler) {
	f.mu.Lock()
	f.incoming = fn
	f.mu.Unlock()
}

// Listen returns a fixed direct-IP address.
func (f *FakeSignaler) Listen() string { return "sip:127.0.0.1:5060" }

// Ring delivers an inbound call from `from` and returns its session.
func (f *FakeSignaler) Ring(from string) *FakeSession {
	f.mu.Lock()
	fn := f.incoming
	f.mu.Unlock()
	s := newSession(nil)
	h := fn(phone.Incoming{Session: s, From: from, AutoAnswerAfter: -1})
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
	close(s.ready)
	return s
}

// FakeSession is a scripted phone.Session; it records what the core asked.
type FakeSession struct {
	mu      sync.Mutex
	handler phone.SessionHandler
	ready   chan struct{} // closed once handler is set
	ctx     context.Context
	Target  string
	Calls   chan string // "answer", "reject 486", "hangup", "hold on", "hold off", "dtmf 12"
	Audio   phone.AudioPair
}

func newSession(h phone.SessionHandler) *FakeSession {
	s := &FakeSession{handler: h, Calls: make(chan string, 64), ready: make(chan struct{})}
	if h != nil {
		close(s.ready)
	}
	return s
}

// Emit sends a session event to the core as the backend would.
// Like a real backend, it waits until the core has installed the handler.
func (s *FakeSession) Emit(ev phone.SessionEvent) {
	<-s.ready
	s.mu.Lock()
	h := s.handler
	s.mu.Unlock()
	h(ev)
}

// Answer records the answer and reports media up.
func (s *FakeSession) Answer(ctx context.Context, a phone.AudioPair) error {
	s.SetAudio(a)
	s.Calls <- "answer"
	s.Emit(phone.SessionEvent{Kind: phone.SessAnswered, Codec: "PCMU"})
	return nil
}

// Reject records the code.
func (s *FakeSession) Reject(ctx context.Context, code int) error {
	s.Calls <- fmt.Sprintf("reject %d", code)
	return nil
}

// Hangup records it.
func (s *FakeSession) Hangup(ctx context.Context) error { s.Calls <- "hangup"; return nil }

// Hold records on/off.
func (s *FakeSession) Hold(ctx context.Context, on bool) error {
	if on {
		s.Calls <- "hold on"
	} else {
		s.Calls <- "hold off"
	}
	return nil
}

// SendDTMF records the digits.
func (s *FakeSession) SendDTMF(ctx context.Context, digits string, info bool) error {
	s.Calls <- "dtmf " + digits
	return nil
}

// SetAudio records the audio pair.
func (s *FakeSession) SetAudio(a phone.AudioPair) {
	s.mu.Lock()
	s.Audio = a
	s.mu.Unlock()
}

// Stats returns zero figures.
func (s *FakeSession) Stats() phone.CallStats { return phone.CallStats{Codec: "PCMU"} }

// SIPCallID returns a fixed id.
func (s *FakeSession) SIPCallID() string { return "fake-call-id" }

// Expect waits (bounded) for the next recorded call and checks it.
func (s *FakeSession) Expect(t testing.TB, want string) {
	t.Helper()
	select {
	case got := <-s.Calls:
		if got != want {
			t.Fatalf("session got %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("session never got %q", want)
	}
}

// WaitEvent reads events until match returns true or 5 s pass.
func WaitEvent(t testing.TB, events <-chan phone.Event, match func(phone.Event) bool) phone.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event stream closed")
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatal("timed out waiting for event")
		}
	}
}

// Kind matches events of kind k.
func Kind(k phone.EventKind) func(phone.Event) bool {
	return func(ev phone.Event) bool { return ev.Kind == k }
}
