package ui

import (
	"errors"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"switchboard/phone"
)

// TestRecordButton taps Record, sees the command, and sees "● REC" only
// once a snapshot says the call is recorded; tapping again stops it.
// Transfer, Flip and Park are on the card.
func TestRecordButton(t *testing.T) {
	snap := phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}, Calls: []phone.CallInfo{activeCall()}, Active: "c1"}
	h := newHarness(t, snap) // no saved accounts: Start registers none
	h.start(t)
	c := h.u.cards["c1"]
	if c == nil {
		t.Fatal("no card for c1")
	}
	if c.record.Disabled() || !c.record.Visible() || c.record.Text != "Record" {
		t.Fatalf("record button: disabled %v visible %v %q", c.record.Disabled(), c.record.Visible(), c.record.Text)
	}
	// No configured account: Transfer works, Park and Flip lack their settings.
	if c.transfer.Disabled() || !c.flip.Disabled() || !c.park.Disabled() {
		t.Errorf("transfer disabled %v, flip disabled %v, park disabled %v", c.transfer.Disabled(), c.flip.Disabled(), c.park.Disabled())
	}
	if len(buttons(h.u.callsBox, "Transfer")) != 1 || len(buttons(h.u.callsBox, "Park")) != 1 {
		t.Error("Transfer or Park not shown on the card")
	}

	test.Tap(c.record)
	wantRecorded(t, h.fake, "Record(c1,true)")
	if c.rec.Visible() {
		t.Fatal("REC shown before the phone says so")
	}

	rec := snap
	rec.Calls = []phone.CallInfo{activeCall()}
	rec.Calls[0].Recording = true
	wait := h.expect(func() bool { return c.rec.Visible() && c.extra.Visible() && c.record.Text == "Stop rec" })
	h.fake.publish(rec, phone.Event{Kind: phone.EvRecording, Call: &rec.Calls[0], Path: "/tmp/r.wav"})
	wait(t)
	if c.rec.Text != "● REC" || h.u.notice.Text != "Recording the call with 1001." {
		t.Fatalf("rec %q notice %q", c.rec.Text, h.u.notice.Text)
	}

	test.Tap(c.record)
	wantRecorded(t, h.fake, "Record(c1,true)", "Record(c1,false)")
	done := rec
	done.Calls = []phone.CallInfo{activeCall()}
	wait = h.expect(func() bool { return !c.rec.Visible() && !c.extra.Visible() && c.record.Text == "Record" })
	h.fake.publish(done, phone.Event{Kind: phone.EvRecording, Call: &done.Calls[0], Path: "/tmp/r.wav"})
	wait(t)
	if h.u.notice.Text != "Recording of the call with 1001 saved to /tmp/r.wav." {
		t.Fatalf("notice %q", h.u.notice.Text)
	}
}

// TestRingingCardHidesCallButtons checks an incoming card shows only
// Answer and Decline: no Record, Transfer, Flip or Park.
func TestRingingCardHidesCallButtons(t *testing.T) {
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")},
		Calls: []phone.CallInfo{incomingCall()}}, alice())
	c := h.u.cards["c1"]
	for _, b := range []string{"Record", "Transfer", "Flip", "Park", "Hang up"} {
		if c != nil && len(buttons(c.card, b)) != 0 {
			t.Errorf("%s shown while ringing", b)
		}
	}
}

// TestQualityIndicator feeds stats events and sees the card's quality and
// encryption labels follow the latest figures, and forgets them when the
// call ends.
func TestQualityIndicator(t *testing.T) {
	snap := phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}, Calls: []phone.CallInfo{activeCall()}, Active: "c1"}
	h := newHarness(t, snap) // no saved accounts: Start registers none
	h.start(t)
	c := h.u.cards["c1"]
	if c.quality.Visible() || c.secure.Visible() || c.extra.Visible() {
		t.Fatal("quality shown before any stats")
	}
	call := snap.Calls[0]
	wait := h.expect(func() bool { return c.quality.Visible() && c.quality.Text == "Quality: Good" && c.secure.Visible() })
	h.fake.publish(snap, phone.Event{Kind: phone.EvStats, Call: &call,
		Stats: &phone.CallStats{Codec: "PCMU", PacketsReceived: 1000, JitterMs: 3, SRTP: "AES_CM_128_HMAC_SHA1_80"}})
	wait(t)

	wait = h.expect(func() bool { return c.quality.Text == "Quality: Poor" && !c.secure.Visible() })
	h.fake.publish(snap, phone.Event{Kind: phone.EvStats, Call: &call,
		Stats: &phone.CallStats{Codec: "PCMU", PacketsReceived: 900, PacketsLost: 100, JitterMs: 3}})
	wait(t)

	ended := call
	ended.State, ended.EndedAt = phone.StateEnded, t0
	gone := phone.Snapshot{Accounts: snap.Accounts}
	wait = h.expect(func() bool { return len(h.u.cards) == 0 && len(h.u.stats) == 0 })
	h.fake.publish(gone, phone.Event{Kind: phone.EvEnded, Call: &ended})
	wait(t)
}

// TestRetryFailedAccount taps Retry on an account whose registration
// failed: the account is re-applied with its stored password.
func TestRetryFailedAccount(t *testing.T) {
	b := alice()
	b.ID, b.AOR, b.DisplayName = "bob", "sip:bob@example.net", ""
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{
		registered("alice"),
		{AccountID: "bob", State: phone.RegFailed, Code: 403, Reason: "wrong password"},
	}}, alice(), b)
	// Both passwords saved, so Start posts no "no saved password" notice.
	if err := errors.Join(h.secrets.Set("alice", "pa"), h.secrets.Set("bob", "hunter2")); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	startup := []string{"SetAccount(alice,pa)", "SetAccount(bob,hunter2)"}
	waitRecorded(t, h.fake, startup...) // Start registers the saved accounts
	retry := buttons(h.u.accountBox, "Retry")
	if len(retry) != 1 {
		t.Fatalf("%d Retry buttons, want 1 (for the failed account only)", len(retry))
	}
	test.Tap(retry[0])
	waitRecorded(t, h.fake, append(startup, "SetAccount(bob,hunter2)")...)
	if h.u.notice.Text != "Retrying bob@example.net…" {
		t.Errorf("notice %q", h.u.notice.Text)
	}
}

// waitRecorded waits until f has recorded exactly want (commands sent from
// goroutines the UI started).
func waitRecorded(t *testing.T, f *fakeController, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(f.Recorded(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("recorded %q, want %q", f.Recorded(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
