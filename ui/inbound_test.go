package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/app"
	"switchboard/phone"
)

// rcAgent is alice on RingCentral.
func rcAgent() phone.Account {
	a := alice()
	a.Provider = phone.ProviderRingCentral
	return a
}

// inboundHarness starts the UI over calls on acct, with Dana Desk in the
// contacts.
func inboundHarness(t *testing.T, acct phone.Account, active phone.CallID, calls ...phone.CallInfo) *harness {
	t.Helper()
	snap := phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}, Calls: calls, Active: active}
	cons := app.Contacts{Version: app.ContactsVersion, Contacts: []app.Contact{{ID: "d", Name: "Dana Desk", Numbers: []string{"1002"}}}}
	h := newHarnessWith(t, snap, app.History{}, cons, acct)
	if err := h.secrets.Set("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	waitRecorded(t, h.fake, "SetAccount(alice,pw)")
	return h
}

// overlaid reports whether o is in one of the window's overlays (an open
// dialog), the incoming call overlay aside.
func (h *harness) overlaid(o fyne.CanvasObject) bool {
	for _, ov := range h.win.Canvas().Overlays().List() {
		if ov.Visible() && slices.Contains(test.LaidOutObjects(ov), o) {
			return true
		}
	}
	return false
}

// endDiverted publishes the end of ringing call c as the phone reports a
// call sent on with reason, and waits for the notice.
func (h *harness) endDiverted(t *testing.T, c phone.CallInfo, reason, notice string) {
	t.Helper()
	c.State, c.Cause, c.Reason, c.EndedAt = phone.StateEnded, phone.CauseForwarded, reason, t0.Add(5*time.Second)
	snap := h.fake.Snapshot()
	snap.Calls = nil
	wait := h.expect(func() bool { return h.u.notice.Text == notice && !h.u.incoming.shown })
	h.fake.publish(snap, phone.Event{Kind: phone.EvEnded, Call: &c})
	wait(t)
}

// TestIncomingVoicemail: Voicemail on the overlay sends the call there;
// its end says so and goes into history as forwarded, not missed.
func TestIncomingVoicemail(t *testing.T) {
	h := inboundHarness(t, alice(), "", incomingCall())
	o := h.u.incoming
	if !o.shown || !o.voicemail.Visible() || o.voicemail.Disabled() || !o.forward.Visible() {
		t.Fatalf("overlay shown %v voicemail %v forward %v", o.shown, o.voicemail.Visible(), o.forward.Visible())
	}
	if o.reply.Visible() || h.u.cards["c1"].reply.Visible() {
		t.Fatal("Reply… offered on a generic SIP account")
	}
	n := len(h.fake.Recorded())
	test.Tap(o.voicemail)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"SendToVoicemail(c1)"}) {
		t.Fatalf("recorded %q", got)
	}
	h.endDiverted(t, incomingCall(), "sent to voicemail", "Sent the call from Bob Customer to voicemail.")
	hist := h.lastHist()
	if len(hist.Entries) != 1 || hist.UnseenMissed != 0 || h.u.historyTab.Text != "History" {
		t.Fatalf("history %+v, tab %q", hist, h.u.historyTab.Text)
	}
	if got := labels(h.u.historyList); !slices.Contains(got, "Forwarded · 12:00 · +15550100199@example.com") {
		t.Fatalf("history rows %q", got)
	}

	// A failure keeps the call ringing and says why.
	h2 := inboundHarness(t, alice(), "", incomingCall())
	h2.fake.err = phone.ErrBadState
	test.Tap(h2.u.cards["c1"].voicemail)
	if !strings.HasPrefix(h2.u.notice.Text, "Could not send the call to voicemail: ") {
		t.Fatalf("notice %q", h2.u.notice.Text)
	}
}

// TestIncomingForward: Forward… opens a dialog that completes the target
// from contacts like the transfer dialog, checks it, and forwards.
func TestIncomingForward(t *testing.T) {
	h := inboundHarness(t, alice(), "", incomingCall())
	test.Tap(h.u.incoming.forward)
	d := h.u.lastForward
	if d == nil || d.id != "c1" {
		t.Fatal("no forward dialog")
	}
	n := len(h.fake.Recorded())
	test.Tap(d.send)
	if !d.errLabel.Visible() || !strings.HasPrefix(d.errLabel.Text, "Type a number") {
		t.Fatalf("error %q", d.errLabel.Text)
	}
	test.Type(d.target, "not a number")
	test.Tap(d.send)
	if !strings.HasPrefix(d.errLabel.Text, "Not a number or SIP address") {
		t.Fatalf("error %q", d.errLabel.Text)
	}
	d.target.SetText("")
	test.Type(d.target, "Dan")
	sugg := buttons(d.sugg, "Dana Desk · 1002")
	if len(sugg) != 1 {
		t.Fatalf("suggestions %q", labels(d.sugg))
	}
	test.Tap(sugg[0])
	test.Tap(d.send)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"Forward(c1,1002)"}) {
		t.Fatalf("recorded %q", got)
	}
	if h.overlaid(d.errLabel) || !slices.Contains(h.st.RecentDials, "1002") {
		t.Fatalf("dialog open %v, recent %q", h.overlaid(d.errLabel), h.st.RecentDials)
	}
	h.endDiverted(t, incomingCall(), "forwarded to 1002", "Forwarded the call from Bob Customer to 1002.")
	if hist := h.lastHist(); len(hist.Entries) != 1 || hist.UnseenMissed != 0 {
		t.Fatalf("history %+v", hist)
	}
}

// TestIncomingForwardFails keeps the dialog open with the phone's reason.
func TestIncomingForwardFails(t *testing.T) {
	h := inboundHarness(t, alice(), "", incomingCall())
	d := h.u.showForward("c1")
	h.fake.err = phone.ErrNotSupported
	test.Type(d.target, "1002")
	test.Tap(d.send)
	if !h.overlaid(d.errLabel) || !strings.HasPrefix(d.errLabel.Text, "Could not forward: ") {
		t.Fatalf("open %v, error %q", h.overlaid(d.errLabel), d.errLabel.Text)
	}
}

// TestIncomingReplyRingCentral: on a RingCentral account Reply… offers
// quick replies and a free text.
func TestIncomingReplyRingCentral(t *testing.T) {
	h := inboundHarness(t, rcAgent(), "", incomingCall())
	o := h.u.incoming
	if !o.reply.Visible() || !h.u.cards["c1"].reply.Visible() {
		t.Fatal("no Reply… on a RingCentral account")
	}
	test.Tap(o.reply)
	d := h.u.lastReply
	if d == nil || len(d.quick) != 3 || d.quick[0].Text != "I'll call you back" {
		t.Fatalf("reply dialog %+v", d)
	}
	n := len(h.fake.Recorded())
	test.Tap(d.quick[1])
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"ReplyText(c1,On another call)"}) {
		t.Fatalf("recorded %q", got)
	}
	if h.overlaid(d.errLabel) {
		t.Fatal("dialog still open")
	}

	// Free text: empty is refused, the text is sent trimmed.
	d = h.u.showReply("c1")
	test.Tap(d.send)
	if !d.errLabel.Visible() || d.errLabel.Text != "Write a reply first, or pick one above." {
		t.Fatalf("error %q", d.errLabel.Text)
	}
	test.Type(d.text, "  Back at 3 pm, sorry ")
	test.Tap(d.send)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"ReplyText(c1,On another call)", "ReplyText(c1,Back at 3 pm, sorry)"}) {
		t.Fatalf("recorded %q", got)
	}
	h.endDiverted(t, incomingCall(), "replied: Back at 3 pm, sorry", "Replied to Bob Customer: “Back at 3 pm, sorry”.")

	// The phone's refusal stays in the dialog.
	h2 := inboundHarness(t, rcAgent(), "", incomingCall())
	d = h2.u.showReply("c1")
	h2.fake.err = errors.New("replying with a text needs a RingCentral account")
	test.Tap(d.quick[0])
	if !h2.overlaid(d.errLabel) || d.errLabel.Text != "Could not reply: Replying with a text needs a RingCentral account" {
		t.Fatalf("open %v, error %q", h2.overlaid(d.errLabel), d.errLabel.Text)
	}
}

// TestAutoAnswerLabel: a call being auto-answered says so on the overlay
// and its card.
func TestAutoAnswerLabel(t *testing.T) {
	c := incomingCall()
	c.AutoAnswer = true
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}, Calls: []phone.CallInfo{c}}, alice())
	if o := h.u.incoming; !o.shown || o.title.Text != "Auto-answering…" || o.title.Importance != widget.SuccessImportance {
		t.Fatalf("overlay shown %v title %q", o.shown, o.title.Text)
	}
	if s := h.u.cards["c1"].state.Text; s != "Auto-answering…" {
		t.Fatalf("card state %q", s)
	}
	c.AutoAnswer = false
	h.fake.setSnapshot(phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}, Calls: []phone.CallInfo{c}})
	h.u.render(h.fake.Snapshot())
	if o := h.u.incoming; o.title.Text != "Incoming call" || o.title.Importance != widget.MediumImportance {
		t.Fatalf("title %q", o.title.Text)
	}
}

// TestServerRecordToggle: on a RingCentral account the card's Server rec
// asks the server, shows SERVER REC while it records, and a failure in red.
func TestServerRecordToggle(t *testing.T) {
	h := inboundHarness(t, rcAgent(), "c1", activeCall())
	c := h.u.cards["c1"]
	if !c.srec.Visible() || c.srec.Disabled() || c.srec.Text != "Server rec" || c.srecOn.Visible() {
		t.Fatalf("srec visible %v disabled %v text %q", c.srec.Visible(), c.srec.Disabled(), c.srec.Text)
	}
	n := len(h.fake.Recorded())
	test.Tap(c.srec)
	if got := recordedSince(h.fake, n); !slices.Equal(got, []string{"ServerRecord(c1,true)"}) {
		t.Fatalf("recorded %q", got)
	}
	if !c.srecNote.Visible() || c.srecNote.Text != "Asking the server to record…" {
		t.Fatalf("note %q", c.srecNote.Text)
	}

	on := h.fake.Snapshot()
	on.Calls[0].ServerRecording = true
	started := h.expect(func() bool {
		return c.srecOn.Visible() && c.srec.Text == "Stop server rec" && !c.srecNote.Visible() &&
			h.u.notice.Text == "The server is recording the call with 1001."
	})
	h.fake.publish(on, phone.Event{Kind: phone.EvRecording, Call: &on.Calls[0], Message: "server recording started"})
	started(t)
	if c.rec.Visible() || c.record.Text != "Record" {
		t.Fatal("local recording shown as on")
	}

	test.Tap(c.srec)
	if got := recordedSince(h.fake, n); got[len(got)-1] != "ServerRecord(c1,false)" {
		t.Fatalf("recorded %q", got)
	}
	failed := h.expect(func() bool {
		return c.srecNote.Visible() && c.srecNote.Text == "Server recording failed: the server did not answer" &&
			c.srecNote.Importance == widget.DangerImportance && c.srecOn.Visible()
	})
	h.fake.publish(on, phone.Event{Kind: phone.EvRecording, Call: &on.Calls[0], Message: "server recording: the server did not answer"})
	failed(t)
	if h.u.notice.Text != "Server recording of the call with 1001 failed: the server did not answer." {
		t.Fatalf("notice %q", h.u.notice.Text)
	}
}

// TestServerRecordAbsentOnGenericAccount: no Server rec outside
// RingCentral, and none on a ringing card.
func TestServerRecordAbsentOnGenericAccount(t *testing.T) {
	h := inboundHarness(t, alice(), "c1", activeCall())
	if c := h.u.cards["c1"]; c.srec.Visible() || c.srecOn.Visible() {
		t.Fatal("Server rec on a generic SIP account")
	}
	h2 := inboundHarness(t, rcAgent(), "", incomingCall())
	if c := h2.u.cards["c1"]; c.srec.Visible() {
		t.Fatal("Server rec on a ringing card")
	}
}

// TestForwardingRulesSettings round-trips the forwarding rules through the
// account form's Call handling dialog, with validation.
func TestForwardingRulesSettings(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.start(t)
	f := h.u.showAccountForm(nil)
	f.aor.SetText("sip:agent@pbx.example.com")
	ch := f.calls
	test.Tap(ch.open)
	ch.fwdAlways.SetText("nowhere at all")
	test.Tap(f.save)
	if !f.errLabel.Visible() || f.errLabel.Text != "Forward always: “nowhere at all” is not a number or SIP address" {
		t.Fatalf("error %q", f.errLabel.Text)
	}
	ch.fwdAlways.SetText("")
	ch.fwdBusy.SetText("sip:desk@pbx.example.com")
	ch.fwdNoAnswer.SetText("+1 (555) 010-0111")
	ch.noAnswerAfter.SetText("ten")
	test.Tap(f.save)
	if f.errLabel.Text != "Forward on no answer: ring for 1 to 300 seconds" {
		t.Fatalf("error %q", f.errLabel.Text)
	}
	ch.noAnswerAfter.SetText("15")
	done := buttons(h.win.Canvas().Overlays().Top(), "Done")
	if len(done) != 1 {
		t.Fatal("no Done on the call handling dialog")
	}
	test.Tap(done[0])
	if ch.summary.Text != "no park code · 0 devices · forwarding" {
		t.Fatalf("summary %q", ch.summary.Text)
	}
	test.Tap(f.save)
	h.wait(t)
	a, ok := h.st.Account("sip:agent@pbx.example.com")
	want := phone.Forwarding{Busy: "sip:desk@pbx.example.com", NoAnswer: "+15550100111", NoAnswerAfter: 15}
	if !ok || a.Forwarding != want {
		t.Fatalf("saved %+v", a.Forwarding)
	}
	if len(h.saved) == 0 || h.saved[len(h.saved)-1].Accounts[0].Forwarding != want {
		t.Fatal("forwarding not persisted")
	}

	// Reopened, the form shows the rules; Always wins the summary; clearing
	// the no-answer target drops its delay.
	f = h.u.showAccountForm(&a)
	ch = f.calls
	if ch.fwdBusy.Text != want.Busy || ch.fwdNoAnswer.Text != want.NoAnswer || ch.noAnswerAfter.Text != "15" || ch.fwdAlways.Text != "" {
		t.Fatalf("reopened: %q %q %q", ch.fwdBusy.Text, ch.fwdNoAnswer.Text, ch.noAnswerAfter.Text)
	}
	ch.fwdAlways.SetText("1002")
	ch.fwdNoAnswer.SetText("")
	test.Tap(ch.open)
	test.Tap(buttons(h.win.Canvas().Overlays().Top(), "Done")[0])
	if ch.summary.Text != "no park code · 0 devices · forwarding all calls" {
		t.Fatalf("summary %q", ch.summary.Text)
	}
	test.Tap(f.save)
	h.wait(t)
	a, _ = h.st.Account(a.ID)
	if want := (phone.Forwarding{Always: "1002", Busy: "sip:desk@pbx.example.com"}); a.Forwarding != want {
		t.Fatalf("after edit %+v", a.Forwarding)
	}
}

func TestForwardedText(t *testing.T) {
	for _, tc := range []struct{ reason, want string }{
		{"sent to voicemail", "Sent the call from Bob to voicemail."},
		{"forwarded to sip:1002@pbx.example.com", "Forwarded the call from Bob to 1002@pbx.example.com."},
		{"busy: forwarded to 1002", "Forwarded the call from Bob to 1002 (you were on another call)."},
		{"not answered: forwarded to 1002", "Forwarded the call from Bob to 1002 (not answered)."},
		{"replied: In a meeting", "Replied to Bob: “In a meeting”."},
		{"", "The call from Bob was forwarded."},
		{"parked elsewhere", "The call from Bob was handed on: parked elsewhere."},
	} {
		if got := ForwardedText("Bob", tc.reason); got != tc.want {
			t.Errorf("ForwardedText(%q) = %q, want %q", tc.reason, got, tc.want)
		}
	}
	c := incomingCall()
	c.State, c.Cause, c.Reason = phone.StateEnded, phone.CauseForwarded, "sent to voicemail"
	if got := EndedText(c); got != "Sent the call from Bob Customer to voicemail." {
		t.Errorf("EndedText = %q", got)
	}
	views := PresentHistory([]app.HistoryEntry{app.EntryFromCall(c)}, nil, t0)
	if len(views) != 1 || views[0].Missed || views[0].Kind != "Forwarded" {
		t.Errorf("history %+v", views)
	}
}

// TestDivertPendingOnRingCentral: on RingCentral the call rings on until
// the server takes it; meanwhile the overlay says what was asked, and a
// refusal gives the choices back.
func TestDivertPendingOnRingCentral(t *testing.T) {
	h := inboundHarness(t, rcAgent(), "", incomingCall())
	o := h.u.incoming
	test.Tap(o.voicemail)
	if o.title.Text != "Sending to voicemail…" || !o.voicemail.Disabled() || !o.forward.Disabled() || o.answer.Disabled() {
		t.Fatalf("title %q voicemail disabled %v", o.title.Text, o.voicemail.Disabled())
	}
	if s := h.u.cards["c1"].state.Text; s != "Sending to voicemail…" {
		t.Fatalf("card state %q", s)
	}
	snap := h.fake.Snapshot()
	back := h.expect(func() bool { return o.title.Text == "Incoming call" && !o.voicemail.Disabled() })
	h.fake.publish(snap, phone.Event{Kind: phone.EvError, Call: &snap.Calls[0], Message: "voicemail failed: no answer from the server"})
	back(t)
	if h.u.notice.Text != "Voicemail failed: no answer from the server" {
		t.Fatalf("notice %q", h.u.notice.Text)
	}

	d := h.u.showForward("c1")
	test.Type(d.target, "sip:1002@example.com")
	test.Tap(d.send)
	if o.title.Text != "Forwarding to 1002@example.com…" || !o.reply.Disabled() {
		t.Fatalf("title %q", o.title.Text)
	}
	h.endDiverted(t, incomingCall(), "forwarded to sip:1002@example.com", "Forwarded the call from Bob Customer to 1002@example.com.")
	if len(h.u.moves.Diverting) != 0 {
		t.Fatalf("diverting %v", h.u.moves.Diverting)
	}
}

// TestGoldenRingingRingCentral renders a ringing call on a RingCentral
// account: Voicemail, Forward… and Reply….
func TestGoldenRingingRingCentral(t *testing.T) {
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")},
		Calls: []phone.CallInfo{incomingCall()}}, rcAgent())
	golden(t, h, "ringing_ringcentral")
}

// TestGoldenServerRecording renders a RingCentral call the server records.
func TestGoldenServerRecording(t *testing.T) {
	c := activeCall()
	c.ServerRecording = true
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")},
		Calls: []phone.CallInfo{c}, Active: "c1"}, rcAgent())
	golden(t, h, "server_recording")
}
