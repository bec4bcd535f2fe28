package ui

import (
	"context"
	"fmt"
	"sync"

	"switchboard/phone"
)

// fakeController is a scripted Controller: tests set the snapshot, push
// events, and read the commands it recorded.
type fakeController struct {
	mu     sync.Mutex
	snap   phone.Snapshot
	calls  []string
	events chan phone.Event
	echo   chan context.Context // receives the EchoTest ctx when it starts
	seq    int
	err    error // returned by every command when set
}

func newFake() *fakeController {
	return &fakeController{events: make(chan phone.Event, 16), echo: make(chan context.Context, 1),
		snap: phone.Snapshot{Listen: "sip:127.0.0.1:5060"}}
}

func (f *fakeController) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

// Recorded returns the commands so far.
func (f *fakeController) Recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeController) setSnapshot(s phone.Snapshot) {
	f.mu.Lock()
	f.snap = s
	f.mu.Unlock()
}

// publish sets the snapshot and sends ev, as the phone does.
func (f *fakeController) publish(s phone.Snapshot, ev phone.Event) {
	f.setSnapshot(s)
	f.events <- ev
}

func (f *fakeController) Subscribe(ctx context.Context) (phone.Snapshot, <-chan phone.Event) {
	return f.Snapshot(), f.events
}

func (f *fakeController) Snapshot() phone.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.Calls = append([]phone.CallInfo(nil), s.Calls...)
	s.Accounts = append([]phone.RegStatus(nil), s.Accounts...)
	return s
}

func (f *fakeController) Dial(accountID, target string) (phone.CallID, error) {
	f.mu.Lock()
	f.seq++
	id := phone.CallID(fmt.Sprintf("c%d", f.seq))
	f.mu.Unlock()
	return id, f.record("Dial(%s,%s)", accountID, target)
}
func (f *fakeController) Answer(id phone.CallID) error { return f.record("Answer(%s)", id) }
func (f *fakeController) Decline(id phone.CallID, busy bool) error {
	return f.record("Decline(%s,%v)", id, busy)
}
func (f *fakeController) Hangup(id phone.CallID) error { return f.record("Hangup(%s)", id) }
func (f *fakeController) Hold(id phone.CallID) error   { return f.record("Hold(%s)", id) }
func (f *fakeController) Resume(id phone.CallID) error { return f.record("Resume(%s)", id) }
func (f *fakeController) Mute(id phone.CallID, on bool) error {
	return f.record("Mute(%s,%v)", id, on)
}
func (f *fakeController) SendDTMF(id phone.CallID, digits string, info bool) error {
	return f.record("SendDTMF(%s,%s)", id, digits)
}
func (f *fakeController) Record(id phone.CallID, on bool) error {
	return f.record("Record(%s,%v)", id, on)
}
func (f *fakeController) SetAccount(a phone.Account, password string) error {
	return f.record("SetAccount(%s,%s)", a.ID, password)
}
func (f *fakeController) RemoveAccount(id string) error { return f.record("RemoveAccount(%s)", id) }
func (f *fakeController) Transfer(id phone.CallID, target string) error {
	return f.record("Transfer(%s,%s)", id, target)
}
func (f *fakeController) Consult(id phone.CallID, target string) (phone.CallID, error) {
	f.mu.Lock()
	f.seq++
	kid := phone.CallID(fmt.Sprintf("k%d", f.seq))
	f.mu.Unlock()
	return kid, f.record("Consult(%s,%s)", id, target)
}
func (f *fakeController) CompleteTransfer(id phone.CallID) error {
	return f.record("CompleteTransfer(%s)", id)
}
func (f *fakeController) CancelTransfer(id phone.CallID) error {
	return f.record("CancelTransfer(%s)", id)
}
func (f *fakeController) TransferBetween(a, b phone.CallID) error {
	return f.record("TransferBetween(%s,%s)", a, b)
}
func (f *fakeController) Flip(id phone.CallID, device string) error {
	return f.record("Flip(%s,%s)", id, device)
}
func (f *fakeController) Park(id phone.CallID) error { return f.record("Park(%s)", id) }
func (f *fakeController) Merge() error               { return f.record("Merge()") }
func (f *fakeController) Split(id phone.CallID) error {
	return f.record("Split(%s)", id)
}
func (f *fakeController) SendToVoicemail(id phone.CallID) error {
	return f.record("SendToVoicemail(%s)", id)
}
func (f *fakeController) Forward(id phone.CallID, target string) error {
	return f.record("Forward(%s,%s)", id, target)
}
func (f *fakeController) ReplyText(id phone.CallID, text string) error {
	return f.record("ReplyText(%s,%s)", id, text)
}
func (f *fakeController) ServerRecord(id phone.CallID, on bool) error {
	return f.record("ServerRecord(%s,%v)", id, on)
}
func (f *fakeController) EchoTest(ctx context.Context) error {
	_ = f.record("EchoTest")
	f.echo <- ctx
	<-ctx.Done()
	return nil
}
