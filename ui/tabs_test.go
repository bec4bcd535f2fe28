package ui

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/app"
	"switchboard/phone"
)

// buttons returns the visible buttons under o whose text is text.
func buttons(o fyne.CanvasObject, text string) []*widget.Button {
	var out []*widget.Button
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text && b.Visible() {
			out = append(out, b)
		}
	}
	return out
}

// labels returns the texts of the visible labels under o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	for _, obj := range test.LaidOutObjects(o) {
		if l, ok := obj.(*widget.Label); ok && l.Visible() && l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

func missedCall(id phone.CallID, at time.Time) phone.CallInfo {
	c := incomingCall()
	c.ID, c.StartedAt, c.EndedAt, c.State, c.Cause = id, at, at.Add(20*time.Second), phone.StateEnded, phone.CauseMissed
	return c
}

func TestHistoryRecordsBadgeAndRedial(t *testing.T) {
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}}, alice())
	h.start(t)
	for i, id := range []phone.CallID{"m1", "m2"} {
		c := missedCall(id, t0.Add(time.Duration(i-5)*time.Minute))
		got := h.expect(func() bool { return len(h.u.hist.Entries) == i+1 })
		h.fake.publish(h.fake.Snapshot(), phone.Event{Kind: phone.EvEnded, Call: &c})
		got(t)
	}
	if h.u.historyTab.Text != "History (2)" || h.lastHist().UnseenMissed != 2 || len(h.lastHist().Entries) != 2 {
		t.Fatalf("tab %q, saved %+v", h.u.historyTab.Text, h.lastHist())
	}
	if h.u.notice.Text != "Missed call from Bob Customer" {
		t.Errorf("notice %q", h.u.notice.Text)
	}

	h.u.tabs.Select(h.u.historyTab)
	if h.u.historyTab.Text != "History" || h.lastHist().UnseenMissed != 0 {
		t.Fatalf("badge not cleared: %q %+v", h.u.historyTab.Text, h.lastHist())
	}
	if got := labels(h.u.historyList); !slices.Contains(got, "Bob Customer") ||
		!slices.Contains(got, "Missed · 11:55 · +15550100199@example.com") {
		t.Fatalf("history rows %q", got)
	}
	redial := buttons(h.u.historyList, "Redial")
	if len(redial) != 2 {
		t.Fatalf("%d redial buttons", len(redial))
	}
	test.Tap(redial[0])
	if got := h.fake.Recorded(); got[len(got)-1] != "Dial(alice,sip:+15550100199@example.com)" {
		t.Fatalf("recorded %q", got)
	}
	if h.u.tabs.Selected() != h.u.phoneTab {
		t.Error("redial did not switch to the Phone tab")
	}

	// A missed call while History is in front does not raise the badge.
	h.u.tabs.Select(h.u.historyTab)
	c := missedCall("m3", t0)
	got := h.expect(func() bool { return len(h.u.hist.Entries) == 3 })
	h.fake.publish(h.fake.Snapshot(), phone.Event{Kind: phone.EvEnded, Call: &c})
	got(t)
	if h.u.historyTab.Text != "History" {
		t.Errorf("badge raised while viewing: %q", h.u.historyTab.Text)
	}
}

func TestHistoryKeptAcrossRestart(t *testing.T) {
	var stored app.History
	stored.Add(app.EntryFromCall(missedCall("m1", t0.Add(-time.Hour))))
	out := activeCall()
	out.State, out.EndedAt, out.Cause = phone.StateEnded, t0, phone.CauseNormal
	stored.Add(app.EntryFromCall(out))
	p := prefMap{}
	if err := app.SaveHistory(p, stored); err != nil {
		t.Fatal(err)
	}
	loaded, err := app.LoadHistory(p)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, phone.Snapshot{}, loaded, app.Contacts{})
	if h.u.historyTab.Text != "History (1)" {
		t.Fatalf("tab %q", h.u.historyTab.Text)
	}
	h.u.tabs.Select(h.u.historyTab)
	if got := labels(h.u.historyList); !slices.Contains(got, "Outgoing · 11:58 · 1:05 · 1001@example.com") {
		t.Fatalf("rows %q", got)
	}
	golden(t, h, "history")
}

type prefMap map[string]string

func (m prefMap) String(k string) string       { return m[k] }
func (m prefMap) SetString(k, v string)        { m[k] = v }
func (m prefMap) Bool(k string) bool           { return m[k] == "true" }
func (m prefMap) SetBool(k string, v bool)     {}
func (m prefMap) Float(k string) float64       { return 0 }
func (m prefMap) SetFloat(k string, v float64) {}

func TestContactsAddSearchEditDeleteAndComplete(t *testing.T) {
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}}, alice())
	h.u.tabs.Select(h.u.contactsTab)
	if !h.u.contactsEmpty.Visible() {
		t.Fatal("empty hint hidden")
	}
	f := h.u.showContactForm(nil)
	f.name.SetText("Bob Customer")
	f.numbers.SetText("+1 (555) 010-0199, bob")
	test.Tap(f.save)
	if !f.errLabel.Visible() || f.errLabel.Text == "" {
		t.Fatal("bad number accepted")
	}
	f.numbers.SetText("+1 (555) 010-0199; 1001")
	f.sip.SetText("bob@x.org")
	test.Tap(f.save)
	if f.errLabel.Visible() || len(h.cons) != 1 {
		t.Fatalf("not saved: %q", f.errLabel.Text)
	}
	bob := h.cons[0].Contacts[0]
	if !slices.Equal(bob.Numbers, []string{"+15550100199", "1001"}) || bob.SIPURI != "sip:bob@x.org" {
		t.Fatalf("stored %+v", bob)
	}
	f = h.u.showContactForm(nil)
	f.name.SetText("Alice Helpdesk")
	f.numbers.SetText("2002")
	test.Tap(f.save)
	if got := labels(h.u.contactList); !slices.Equal(got, []string{"Alice Helpdesk", "2002", "Bob Customer", "+15550100199, 1001, sip:bob@x.org"}) {
		t.Fatalf("list %q", got)
	}

	test.Type(h.u.contactSearch, "0100")
	if got := labels(h.u.contactList); !slices.Equal(got, []string{"Bob Customer", "+15550100199, 1001, sip:bob@x.org"}) {
		t.Fatalf("search: %q", got)
	}
	h.u.contactSearch.SetText("nobody")
	if !h.u.contactsEmpty.Visible() || h.u.contactsEmpty.Text != "No contact matches “nobody”." {
		t.Fatalf("no-match hint %q", h.u.contactsEmpty.Text)
	}
	h.u.contactSearch.SetText("")

	// Edit keeps the ID; the call button of a one-number contact dials it.
	f = h.u.showContactForm(&bob)
	f.numbers.SetText("+15550100199")
	f.sip.SetText("")
	test.Tap(f.save)
	if got, _ := h.u.contacts.Get(bob.ID); len(got.Targets()) != 1 || len(h.u.contacts.Contacts) != 2 {
		t.Fatalf("edit: %+v", h.u.contacts.Contacts)
	}
	h.u.callContact(h.u.contacts.Contacts[1], h.u.callBtn)
	wantRecorded(t, h.fake, "Dial(alice,+15550100199)")

	// The dial field completes from contacts and recent dials.
	h.u.tabs.Select(h.u.phoneTab)
	h.u.entry.SetText("")
	test.Type(h.u.entry, "bob")
	if got := h.u.suggestions(); !slices.Equal(got, []string{"Bob Customer · +15550100199"}) {
		t.Fatalf("suggestions %q", got)
	}
	test.Tap(h.u.suggestBox.Objects[0].(*widget.Button))
	if h.u.entry.Text != "+15550100199" || h.u.suggestBox.Visible() {
		t.Fatalf("entry %q, suggestions visible %v", h.u.entry.Text, h.u.suggestBox.Visible())
	}

	h.u.deleteContact(bob.ID)
	if len(h.u.contacts.Contacts) != 1 || len(h.cons[len(h.cons)-1].Contacts) != 1 {
		t.Fatal("not deleted")
	}
}

func TestFirstRun(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.st.DirectIPChosen = false
	h.u.render(h.fake.Snapshot())
	if !h.u.firstRun.Visible() || h.u.main.Visible() || h.u.directIP.Visible() {
		t.Fatal("first-run screen not shown")
	}
	if h.u.firstRunIP.Text != "sip:you@127.0.0.1:5060" {
		t.Fatalf("address %q", h.u.firstRunIP.Text)
	}
	golden(t, h, "first_run")

	test.Tap(buttons(h.u.firstRun, "Echo test")[0])
	select {
	case <-h.fake.echo:
	case <-time.After(5 * time.Second):
		t.Fatal("echo test not started")
	}
	if h.u.firstEcho.Text != "Stop echo test" || h.u.echoBtn.Text != "Stop echo test" {
		t.Fatalf("echo buttons %q %q", h.u.firstEcho.Text, h.u.echoBtn.Text)
	}
	h.u.echoStop()

	test.Tap(buttons(h.u.firstRun, "Use direct IP calls")[0])
	if h.u.firstRun.Visible() || !h.u.main.Visible() || !h.u.directIP.Visible() {
		t.Fatal("still on the first-run screen")
	}
	if len(h.saved) == 0 || !h.saved[len(h.saved)-1].DirectIPChosen {
		t.Fatal("choice not saved")
	}
}

func TestFirstRunAddAccount(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.st.DirectIPChosen = false
	h.u.render(h.fake.Snapshot())
	h.start(t)
	test.Tap(buttons(h.u.firstRun, "Add account")[0])
	f := h.u.lastAccountForm
	if f == nil {
		t.Fatal("no account form")
	}
	f.aor.SetText("alice@example.com")
	f.password.SetText("pw")
	test.Tap(f.save)
	if h.u.firstRun.Visible() || !h.u.main.Visible() {
		t.Fatal("first-run screen still shown with an account")
	}
}

func TestWindowSizeRemembered(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.win.Resize(fyne.NewSize(500, 800))
	h.u.RememberWindowSize()
	if len(h.saved) == 0 || h.saved[len(h.saved)-1].Window != (app.WindowSize{Width: 500, Height: 800}) {
		t.Fatalf("saved %+v", h.saved)
	}
}
