package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// TestAcceptance walks the acceptance script over the scripted
// fake controller: add an account on the first-run screen, dial, receive a
// call and answer it, hold, send DTMF, hang up, and find both calls (and a
// missed one, with its badge) in the history.
func TestAcceptance(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.st.DirectIPChosen = false
	h.u.render(h.fake.Snapshot())
	h.start(t)
	step := func(name string, snap phone.Snapshot, ev phone.Event, cond func() bool) {
		t.Helper()
		wait := h.expect(cond)
		h.fake.publish(snap, ev)
		wait(t)
	}

	// 1. Add an account from the first-run screen.
	if !h.u.firstRun.Visible() {
		t.Fatal("no first-run screen")
	}
	test.Tap(buttons(h.u.firstRun, "Add account")[0])
	f := h.u.lastAccountForm
	f.name.SetText("Support")
	f.aor.SetText("sip:alice@example.com")
	f.password.SetText("s3cret")
	saved := h.expect(func() bool { return strings.HasPrefix(h.u.notice.Text, "Saved ") })
	test.Tap(f.save)
	saved(t)
	const acct = "sip:alice@example.com"
	wantRecorded(t, h.fake, "SetAccount("+acct+",s3cret)")
	if pw, _ := h.secrets.Get(acct); pw != "s3cret" {
		t.Fatal("password not in the secret store")
	}
	reg := phone.RegStatus{AccountID: acct, State: phone.RegRegistered}
	base := phone.Snapshot{Listen: "sip:127.0.0.1:5060", Accounts: []phone.RegStatus{reg}}
	step("registered", base, phone.Event{Kind: phone.EvRegistered, Reg: &reg}, func() bool {
		return len(h.u.vm.Accounts) == 1 && h.u.vm.Accounts[0].Status == "Registered"
	})
	if h.u.firstRun.Visible() || h.u.from != acct {
		t.Fatalf("first run %v, from %q", h.u.firstRun.Visible(), h.u.from)
	}

	// 2. Dial 1001; it rings, is answered, and we hang up.
	test.Type(h.u.entry, "1001")
	test.Tap(h.u.callBtn)
	out := phone.CallInfo{ID: "c1", AccountID: acct, Direction: phone.Outbound, Peer: "sip:1001@example.com",
		State: phone.StateRinging, StartedAt: t0.Add(-time.Minute)}
	snap := base
	snap.Calls, snap.Active = []phone.CallInfo{out}, "c1"
	step("ringing", snap, phone.Event{Kind: phone.EvRinging, Call: &out}, func() bool {
		c := h.u.cards["c1"]
		return c != nil && c.state.Text == "Ringing…"
	})
	out.State, out.Codec = phone.StateActive, "PCMU"
	snap.Calls = []phone.CallInfo{out}
	step("answered", snap, phone.Event{Kind: phone.EvAnswered, Call: &out}, func() bool {
		return h.u.cards["c1"].state.Text == "Connected"
	})
	test.Tap(h.u.cards["c1"].hangup)
	out.State, out.Cause, out.AnsweredAt, out.EndedAt = phone.StateEnded, phone.CauseNormal, t0.Add(-50*time.Second), t0
	step("ended", base, phone.Event{Kind: phone.EvEnded, Call: &out}, func() bool { return len(h.u.hist.Entries) == 1 })

	// 3. A call comes in; answer it on the overlay, hold, resume, DTMF, hang up.
	in := incomingCall()
	in.ID, in.AccountID = "in1", acct
	snap = base
	snap.Calls = []phone.CallInfo{in}
	step("incoming", snap, phone.Event{Kind: phone.EvIncoming, Call: &in}, func() bool {
		return h.u.incoming.shown && h.u.incoming.caller.Text == "Bob Customer"
	})
	test.Tap(h.u.incoming.answer)
	in.State, in.Codec = phone.StateActive, "PCMA"
	snap.Calls, snap.Active = []phone.CallInfo{in}, "in1"
	step("in call", snap, phone.Event{Kind: phone.EvAnswered, Call: &in}, func() bool {
		c := h.u.cards["in1"]
		return !h.u.incoming.shown && c != nil && c.state.Text == "Connected"
	})
	card := h.u.cards["in1"]
	test.Tap(card.hold)
	in.State = phone.StateHeld
	snap.Calls = []phone.CallInfo{in}
	step("held", snap, phone.Event{Kind: phone.EvHeld, Call: &in}, func() bool { return card.hold.Text == "Resume" })
	test.Tap(card.hold)
	in.State = phone.StateActive
	snap.Calls = []phone.CallInfo{in}
	step("resumed", snap, phone.Event{Kind: phone.EvResumed, Call: &in}, func() bool { return card.hold.Text == "Hold" })
	test.Tap(card.keypadBtn)
	for _, o := range card.keypad.Objects {
		if b := o.(*widget.Button); b.Text == "4" || b.Text == "2" {
			test.Tap(b)
		}
	}
	if card.sentL.Text != "Sent: 24" {
		t.Fatalf("sent %q", card.sentL.Text)
	}
	test.Tap(card.hangup)
	in.State, in.Cause, in.AnsweredAt, in.EndedAt = phone.StateEnded, phone.CauseNormal, t0.Add(-30*time.Second), t0
	step("hung up", base, phone.Event{Kind: phone.EvEnded, Call: &in}, func() bool { return len(h.u.hist.Entries) == 2 })

	// 4. A missed call raises the badge.
	m := missedCall("in2", t0)
	step("missed", base, phone.Event{Kind: phone.EvEnded, Call: &m}, func() bool { return len(h.u.hist.Entries) == 3 })
	if h.u.historyTab.Text != "History (1)" {
		t.Fatalf("tab %q", h.u.historyTab.Text)
	}

	wantRecorded(t, h.fake, "SetAccount("+acct+",s3cret)", "Dial("+acct+",1001)", "Hangup(c1)",
		"Answer(in1)", "Hold(in1)", "Resume(in1)", "SendDTMF(in1,2)", "SendDTMF(in1,4)", "Hangup(in1)")

	// 5. The history shows all three, newest first; viewing clears the badge.
	h.u.tabs.Select(h.u.historyTab)
	got := labels(h.u.historyList)
	for _, want := range []string{"Missed · 12:00 · +15550100199@example.com",
		"Incoming · 12:00 · 0:30 · +15550100199@example.com", "Outgoing · 11:59 · 0:50 · 1001@example.com"} {
		if !slices.Contains(got, want) {
			t.Errorf("history lacks %q: %q", want, got)
		}
	}
	if h.u.historyTab.Text != "History" || h.lastHist().UnseenMissed != 0 || len(h.lastHist().Entries) != 3 {
		t.Fatalf("after viewing: tab %q, saved %+v", h.u.historyTab.Text, h.lastHist())
	}
	if strings.Contains(h.u.notice.Text, "s3cret") {
		t.Fatal("password shown")
	}
	for _, s := range h.saved {
		for _, a := range s.Accounts {
			if strings.Contains(a.AOR+a.AuthUser+a.DisplayName, "s3cret") {
				t.Fatal("password in settings")
			}
		}
	}
}
