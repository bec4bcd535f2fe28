package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"switchboard/app"
	"switchboard/phone"
)

// agent is alice with a park code and one of her own devices.
func agent() phone.Account {
	a := alice()
	a.ParkCode = "*68"
	a.MyDevices = []phone.Device{{Name: "Mobile", Target: "+15550100111"}}
	return a
}

func heldCarol() phone.CallInfo {
	c := activeCall()
	c.ID, c.Peer, c.PeerName, c.State = "c2", "sip:2002@example.com", "Carol", phone.StateHeld
	return c
}

// moveHarness starts the UI over one active call c1 on acct.
func moveHarness(t *testing.T, acct phone.Account, calls ...phone.CallInfo) (*harness, phone.Snapshot) {
	t.Helper()
	if len(calls) == 0 {
		calls = []phone.CallInfo{activeCall()}
	}
	snap := phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}, Calls: calls, Active: "c1"}
	cons := app.Contacts{Version: app.ContactsVersion, Contacts: []app.Contact{{ID: "d", Name: "Dana Desk", Numbers: []string{"1002"}}}}
	h := newHarnessWith(t, snap, app.History{}, cons, acct)
	if err := h.secrets.Set("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	waitRecorded(t, h.fake, "SetAccount(alice,pw)")
	return h, snap
}

// publishMove sends a transfer-kind event for call and waits for cond.
func (h *harness) publishMove(t *testing.T, snap phone.Snapshot, kind phone.EventKind, call phone.CallInfo, ti phone.TransferInfo, cond func() bool) {
	t.Helper()
	wait := h.expect(cond)
	h.fake.publish(snap, phone.Event{Kind: kind, Call: &call, Transfer: &ti})
	wait(t)
}

func recordedSince(f *fakeController, n int) []string { return f.Recorded()[n:] }

// TestBlindTransfer: Transfer → search a contact → Transfer now; the card
// shows trying and ringing, and goes when the call ends as transferred.
func TestBlindTransfer(t *testing.T) {
	h, snap := moveHarness(t, agent())
	c := h.u.cards["c1"]
	if c.transfer.Disabled() || c.park.Disabled() || c.flip.Disabled() || c.hint.Visible() {
		t.Fatalf("transfer %v park %v flip %v hint %v", c.transfer.Disabled(), c.park.Disabled(), c.flip.Disabled(), c.hint.Visible())
	}
	test.Tap(c.transfer)
	d := h.u.lastTransfer
	if d == nil || d.id != "c1" {
		t.Fatal("no transfer dialog")
	}
	test.Type(d.target, "Dan")
	sugg := buttons(d.sugg, "Dana Desk · 1002")
	if len(sugg) != 1 {
		t.Fatalf("suggestions %q", labels(d.sugg))
	}
	test.Tap(sugg[0])
	if d.target.Text != "1002" {
		t.Fatalf("target %q", d.target.Text)
	}
	n := len(h.fake.Recorded())
	test.Tap(d.now)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Transfer(c1,1002)"}) {
		t.Fatalf("recorded %q", got)
	}
	if h.win.Canvas().Overlays().Top() != nil {
		t.Fatal("dialog still open")
	}
	call := snap.Calls[0]
	ti := phone.TransferInfo{Kind: phone.XferBlind, State: phone.XferTrying, Target: "1002"}
	h.publishMove(t, snap, phone.EvTransfer, call, ti, func() bool { return c.move.Visible() && c.move.Text == "Transferring to 1002…" })
	if !c.transfer.Disabled() || !c.park.Disabled() {
		t.Error("Transfer or Park enabled while a transfer is under way")
	}
	ti.State = phone.XferRinging
	h.publishMove(t, snap, phone.EvTransfer, call, ti, func() bool { return c.move.Text == "Transferring to 1002: ringing…" })
	ti.State = phone.XferDone
	h.publishMove(t, snap, phone.EvTransfer, call, ti, func() bool { return c.move.Text == "Transferred to 1002." })

	ended := call
	ended.State, ended.Cause, ended.Reason, ended.EndedAt = phone.StateEnded, phone.CauseTransferred, "transferred", t0
	wait := h.expect(func() bool { return len(h.u.cards) == 0 })
	h.fake.publish(phone.Snapshot{Accounts: snap.Accounts}, phone.Event{Kind: phone.EvEnded, Call: &ended})
	wait(t)
	if h.u.notice.Text != "1001: Transferred to 1002." || len(h.u.moves.Progress) != 0 {
		t.Fatalf("notice %q, progress %v", h.u.notice.Text, h.u.moves.Progress)
	}
	if len(h.u.hist.Entries) != 1 {
		t.Fatal("transferred call not in the history")
	}
}

// TestTransferFailedKeepsCard: a failed transfer keeps the card, says why
// in words, and Transfer works again; a refused command keeps the dialog.
func TestTransferFailedKeepsCard(t *testing.T) {
	h, snap := moveHarness(t, agent())
	c := h.u.cards["c1"]
	test.Tap(c.transfer)
	d := h.u.lastTransfer
	test.Tap(d.now)
	if !d.errLabel.Visible() || !strings.HasPrefix(d.errLabel.Text, "Type a number") {
		t.Fatalf("empty target: error %q", d.errLabel.Text)
	}
	h.fake.mu.Lock()
	h.fake.err = phone.ErrNotSupported
	h.fake.mu.Unlock()
	test.Type(d.target, "1002")
	test.Tap(d.now)
	if d.errLabel.Text != "Could not transfer: This call cannot be transferred: its connection does not support it." {
		t.Fatalf("error %q", d.errLabel.Text)
	}
	if h.win.Canvas().Overlays().Top() == nil {
		t.Fatal("dialog closed on error")
	}
	h.fake.mu.Lock()
	h.fake.err = nil
	h.fake.mu.Unlock()
	test.Tap(d.now)

	call := snap.Calls[0]
	ti := phone.TransferInfo{Kind: phone.XferBlind, State: phone.XferTrying, Target: "1002"}
	h.publishMove(t, snap, phone.EvTransfer, call, ti, func() bool { return c.move.Visible() })
	ti.State, ti.Code, ti.Reason = phone.XferFailed, 486, "Busy Here"
	want := "Transfer to 1002 failed: the line is busy (Busy Here). The caller is still with you."
	h.publishMove(t, snap, phone.EvTransfer, call, ti, func() bool { return c.move.Text == want })
	if h.u.cards["c1"] != c || c.move.Importance != toneImportance(ToneError) || c.transfer.Disabled() {
		t.Fatalf("card kept %v, importance %v, transfer disabled %v", h.u.cards["c1"] == c, c.move.Importance, c.transfer.Disabled())
	}
	if h.u.notice.Text != "1001: "+want {
		t.Fatalf("notice %q", h.u.notice.Text)
	}
}

// consultStart consults 1002 from c1's card and brings the consultation
// k1 up to state; it returns the snapshot with both calls.
func consultStart(t *testing.T, h *harness, snap phone.Snapshot, kState phone.CallState) phone.Snapshot {
	t.Helper()
	c := h.u.cards["c1"]
	test.Tap(c.transfer)
	d := h.u.lastTransfer
	test.Type(d.target, "1002")
	n := len(h.fake.Recorded())
	test.Tap(d.consult)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Consult(c1,1002)"}) {
		t.Fatalf("recorded %q", got)
	}
	// The pairing shows at once, Complete disabled until the target answers.
	if !c.complete.Visible() || !c.complete.Disabled() || !c.cancelMove.Visible() || c.move.Text != "Consulting 1002; the caller is on hold." {
		t.Fatalf("complete %v/%v cancel %v move %q", c.complete.Visible(), c.complete.Disabled(), c.cancelMove.Visible(), c.move.Text)
	}
	orig := snap.Calls[0]
	orig.State = phone.StateHeld
	k := phone.CallInfo{ID: "k1", AccountID: "alice", Direction: phone.Outbound, Peer: "sip:1002@example.com", State: kState, StartedAt: t0}
	if kState == phone.StateActive {
		k.AnsweredAt = t0
	}
	s := snap
	s.Calls, s.Active = []phone.CallInfo{orig, k}, "k1"
	ti := phone.TransferInfo{Kind: phone.XferAttended, State: phone.XferConsulting, Target: "1002", Consult: "k1"}
	h.publishMove(t, s, phone.EvTransfer, orig, ti, func() bool { return h.u.cards["k1"] != nil })
	return s
}

// TestAttendedTransferComplete: consult, the target answers, complete.
func TestAttendedTransferComplete(t *testing.T) {
	h, snap := moveHarness(t, agent())
	s := consultStart(t, h, snap, phone.StateRinging)
	c, k := h.u.cards["c1"], h.u.cards["k1"]
	if k.move.Text != "Consultation: 1001 is on hold, waiting to be transferred" || !k.complete.Visible() || !k.complete.Disabled() {
		t.Fatalf("consult card: %q complete %v/%v", k.move.Text, k.complete.Visible(), k.complete.Disabled())
	}
	if c.state.Text != "On hold" || !c.transfer.Disabled() || !k.transfer.Disabled() {
		t.Fatalf("held card %q, transfer buttons %v %v", c.state.Text, c.transfer.Disabled(), k.transfer.Disabled())
	}
	// The target answers: Complete transfer is enabled on both cards.
	s.Calls[1].State, s.Calls[1].AnsweredAt = phone.StateActive, t0
	wait := h.expect(func() bool { return !k.complete.Disabled() && !c.complete.Disabled() })
	h.fake.publish(s, phone.Event{Kind: phone.EvAnswered, Call: &s.Calls[1]})
	wait(t)
	n := len(h.fake.Recorded())
	test.Tap(k.complete)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"CompleteTransfer(k1)"}) {
		t.Fatalf("recorded %q", got)
	}
	ti := phone.TransferInfo{Kind: phone.XferAttended, State: phone.XferDone, Target: "1002", Consult: "k1"}
	h.publishMove(t, s, phone.EvTransfer, s.Calls[0], ti, func() bool { return c.move.Text == "Transferred to 1002." && !c.cancelMove.Visible() })
	wait = h.expect(func() bool { return len(h.u.cards) == 0 })
	h.fake.publish(phone.Snapshot{Accounts: s.Accounts}, phone.Event{Kind: phone.EvHeld, Call: &s.Calls[0]})
	wait(t)
}

// TestAttendedTransferCancel: consult, then Cancel resumes the caller.
func TestAttendedTransferCancel(t *testing.T) {
	h, snap := moveHarness(t, agent())
	s := consultStart(t, h, snap, phone.StateActive)
	c := h.u.cards["c1"]
	n := len(h.fake.Recorded())
	test.Tap(c.cancelMove)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"CancelTransfer(c1)"}) {
		t.Fatalf("recorded %q", got)
	}
	back := snap // c1 active again, k1 gone
	ti := phone.TransferInfo{Kind: phone.XferAttended, State: phone.XferCancelled, Target: "1002", Consult: "k1"}
	h.publishMove(t, back, phone.EvTransfer, s.Calls[0], ti, func() bool {
		return h.u.cards["k1"] == nil && c.move.Text == "Transfer cancelled; the caller is back with you." &&
			!c.moveBtns.Visible() && !c.transfer.Disabled()
	})
}

// TestTransferBetweenCalls connects two of our calls from the dialog.
func TestTransferBetweenCalls(t *testing.T) {
	h, _ := moveHarness(t, agent(), heldCarol(), activeCall())
	test.Tap(h.u.cards["c1"].transfer)
	d := h.u.lastTransfer
	if len(d.between) != 1 || d.between[0].Text != "Connect with Carol" {
		t.Fatalf("between buttons %v", d.between)
	}
	n := len(h.fake.Recorded())
	test.Tap(d.between[0])
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"TransferBetween(c1,c2)"}) {
		t.Fatalf("recorded %q", got)
	}
}

// TestFlipChooser flips to the account's device and shows progress.
func TestFlipChooser(t *testing.T) {
	h, snap := moveHarness(t, agent())
	c := h.u.cards["c1"]
	test.Tap(c.flip)
	f := h.u.lastFlip
	if f == nil || len(f.devices) != 1 || f.devices[0].Text != "Mobile (+15550100111)" {
		t.Fatalf("chooser %+v", f)
	}
	n := len(h.fake.Recorded())
	test.Tap(f.devices[0])
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Flip(c1,+15550100111)"}) {
		t.Fatalf("recorded %q", got)
	}
	ti := phone.TransferInfo{Kind: phone.XferFlip, State: phone.XferTrying, Target: "+15550100111", Consult: "k1"}
	h.publishMove(t, snap, phone.EvFlip, snap.Calls[0], ti, func() bool { return c.move.Text == "Flipping to Mobile…" })
	if c.complete.Visible() || !c.cancelMove.Visible() {
		t.Fatal("a flip offers Complete transfer, or no Cancel")
	}
	ti.State, ti.Code, ti.Reason = phone.XferFailed, 408, ""
	h.publishMove(t, snap, phone.EvFlip, snap.Calls[0], ti, func() bool {
		return c.move.Text == "Could not flip to Mobile: nobody answered. The call is still here."
	})
}

// TestFlipWithoutDevices: Flip is disabled, with a hint to add devices.
func TestFlipWithoutDevices(t *testing.T) {
	a := agent()
	a.MyDevices = nil
	h2, _ := moveHarness(t, a)
	c2 := h2.u.cards["c1"]
	if !c2.flip.Disabled() || !c2.hint.Visible() || c2.hint.Text != "Flip: add your devices in Accounts → Edit." {
		t.Fatalf("flip disabled %v, hint %q", c2.flip.Disabled(), c2.hint.Text)
	}
}

// TestPark parks with the park code and shows the extension.
func TestPark(t *testing.T) {
	h, snap := moveHarness(t, agent())
	c := h.u.cards["c1"]
	n := len(h.fake.Recorded())
	test.Tap(c.park)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Park(c1)"}) {
		t.Fatalf("recorded %q", got)
	}
	ti := phone.TransferInfo{Kind: phone.XferPark, State: phone.XferTrying, Target: "*68"}
	h.publishMove(t, snap, phone.EvPark, snap.Calls[0], ti, func() bool { return c.move.Text == "Parking…" })
	ti.State, ti.Extension = phone.XferDone, "801"
	h.publishMove(t, snap, phone.EvPark, snap.Calls[0], ti, func() bool {
		return c.move.Text == "Parked at 801 (dial *801 to pick it up)."
	})
	if h.u.notice.Text != "1001: Parked at 801 (dial *801 to pick it up)." {
		t.Fatalf("notice %q", h.u.notice.Text)
	}
}

// TestParkWithoutCode: Park is disabled, with a hint to set the code.
func TestParkWithoutCode(t *testing.T) {
	a := agent()
	a.ParkCode = ""
	h2, _ := moveHarness(t, a)
	c2 := h2.u.cards["c1"]
	if !c2.park.Disabled() || c2.hint.Text != "Park: set a park code in Accounts → Edit." {
		t.Fatalf("park disabled %v, hint %q", c2.park.Disabled(), c2.hint.Text)
	}
	if ErrorText(phone.ErrNoParkCode) != "Set a park code for this account first (Accounts → Edit)." {
		t.Fatal(ErrorText(phone.ErrNoParkCode))
	}
}

// TestMergeSplit: two answered calls offer Merge; in a conference the bar
// names the calls, End conference and Leave conference call Split.
func TestMergeSplit(t *testing.T) {
	h, snap := moveHarness(t, agent())
	if h.u.confBar.Visible() {
		t.Fatal("conference bar with one call")
	}
	two := snap
	two.Calls = []phone.CallInfo{heldCarol(), activeCall()}
	wait := h.expect(func() bool { return h.u.confBar.Visible() && h.u.mergeBtn.Visible() && !h.u.endConfBtn.Visible() })
	h.fake.publish(two, phone.Event{Kind: phone.EvHeld, Call: &two.Calls[0]})
	wait(t)
	n := len(h.fake.Recorded())
	test.Tap(h.u.mergeBtn)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Merge()"}) {
		t.Fatalf("recorded %q", got)
	}
	conf := two
	conf.Calls[0].State = phone.StateActive
	wait = h.expect(func() bool {
		return h.u.confLabel.Text == "Conference: Carol, 1001" && h.u.endConfBtn.Visible() && !h.u.mergeBtn.Visible()
	})
	h.fake.publish(conf, phone.Event{Kind: phone.EvConference, Conference: []phone.CallID{"c2", "c1"}})
	wait(t)
	carol := h.u.cards["c2"]
	if !carol.leaveConf.Visible() || !strings.HasSuffix(carol.state.Text, "· in conference") || !carol.transfer.Disabled() {
		t.Fatalf("card: leave %v state %q", carol.leaveConf.Visible(), carol.state.Text)
	}
	test.Tap(carol.leaveConf)
	test.Tap(h.u.endConfBtn)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Merge()", "Split(c2)", "Split()"}) {
		t.Fatalf("recorded %q", got)
	}
	wait = h.expect(func() bool { return h.u.mergeBtn.Visible() && !h.u.endConfBtn.Visible() && !carol.leaveConf.Visible() })
	h.fake.publish(two, phone.Event{Kind: phone.EvConference})
	wait(t)
	if h.u.notice.Text != "The conference has ended." {
		t.Fatalf("notice %q", h.u.notice.Text)
	}
}

// TestCallHandlingSettings round-trips park code, my devices and
// auto-answer through the account form, with validation.
func TestCallHandlingSettings(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.start(t)
	f := h.u.showAccountForm(nil)
	f.aor.SetText("sip:agent@pbx.example.com")
	ch := f.calls
	if ch.summary.Text != "no park code · 0 devices" {
		t.Fatalf("summary %q", ch.summary.Text)
	}
	test.Tap(ch.open)
	ch.parkCode.SetText(" *68 ")
	test.Tap(ch.addDevice)
	test.Tap(ch.addDevice)
	ch.devices[0].name.SetText("Mobile")
	ch.devices[0].target.SetText("not a number")
	test.Tap(f.save)
	if !f.errLabel.Visible() || !strings.HasPrefix(f.errLabel.Text, "My device 1: ") {
		t.Fatalf("error %q", f.errLabel.Text)
	}
	ch.devices[0].target.SetText("+1 (555) 010-0111")
	ch.devices[1].target.SetText("sip:desk@pbx.example.com")
	test.Tap(f.save)
	if f.errLabel.Text != "My device 2: give it a name, like Mobile" {
		t.Fatalf("error %q", f.errLabel.Text)
	}
	ch.devices[1].name.SetText("Desk phone")
	test.Tap(ch.addDevice) // an empty row is dropped
	test.Tap(ch.autoAnswer)
	done := buttons(h.win.Canvas().Overlays().Top(), "Done")
	if len(done) != 1 {
		t.Fatal("no Done on the call handling dialog")
	}
	test.Tap(done[0])
	if ch.summary.Text != "park *68 · 2 devices · auto-answer" {
		t.Fatalf("summary %q", ch.summary.Text)
	}
	test.Tap(f.save)
	h.wait(t)
	a, ok := h.st.Account("sip:agent@pbx.example.com")
	want := []phone.Device{{Name: "Mobile", Target: "+15550100111"}, {Name: "Desk phone", Target: "sip:desk@pbx.example.com"}}
	if !ok || a.ParkCode != "*68" || !a.AutoAnswer || !slices.Equal(a.MyDevices, want) {
		t.Fatalf("saved %+v", a)
	}
	if len(h.saved) == 0 || !slices.Equal(h.saved[len(h.saved)-1].Accounts[0].MyDevices, want) {
		t.Fatal("devices not persisted")
	}

	// Reopened, the form shows them; removing a device and clearing the
	// park code saves that.
	f = h.u.showAccountForm(&a)
	ch = f.calls
	if ch.parkCode.Text != "*68" || !ch.autoAnswer.Checked || len(ch.devices) != 2 || ch.devices[1].name.Text != "Desk phone" {
		t.Fatalf("reopened: park %q auto %v devices %d", ch.parkCode.Text, ch.autoAnswer.Checked, len(ch.devices))
	}
	test.Tap(ch.devices[0].remove)
	ch.parkCode.SetText("")
	test.Tap(ch.autoAnswer)
	test.Tap(f.save)
	h.wait(t)
	a, _ = h.st.Account(a.ID)
	if a.ParkCode != "" || a.AutoAnswer || !slices.Equal(a.MyDevices, want[1:]) {
		t.Fatalf("after edit %+v", a)
	}
}

// TestGoldenConsulting renders an attended transfer under way: the held
// caller and the answered consultation, each with Complete transfer and
// Cancel.
func TestGoldenConsulting(t *testing.T) {
	orig := activeCall()
	orig.State, orig.PeerName = phone.StateHeld, "Bob Customer"
	k := phone.CallInfo{ID: "k1", AccountID: "alice", Direction: phone.Outbound, Peer: "sip:1002@example.com",
		PeerName: "Dana Desk", State: phone.StateActive, Codec: "PCMU", StartedAt: t0.Add(-20 * time.Second), AnsweredAt: t0.Add(-12 * time.Second)}
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")},
		Calls: []phone.CallInfo{orig, k}, Active: "k1"}, agent())
	h.u.moves.Progress["c1"] = phone.TransferInfo{Kind: phone.XferAttended, State: phone.XferConsulting, Target: "1002", Consult: "k1"}
	h.u.render(h.fake.Snapshot())
	golden(t, h, "consulting")
}
