package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/phone"
)

func TestHistoryAddMissedCapAndRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var h History
	answered := phone.CallInfo{ID: "c1", Direction: phone.Outbound, Peer: "sip:1001@x", StartedAt: t0,
		AnsweredAt: t0.Add(5 * time.Second), EndedAt: t0.Add(65 * time.Second), Cause: phone.CauseNormal}
	missed := phone.CallInfo{ID: "c2", Direction: phone.Inbound, Peer: "sip:bob@x", PeerName: "Bob",
		StartedAt: t0.Add(time.Minute), EndedAt: t0.Add(90 * time.Second), Cause: phone.CauseMissed}
	declined := phone.CallInfo{ID: "c3", Direction: phone.Inbound, Peer: "sip:eve@x",
		StartedAt: t0.Add(2 * time.Minute), EndedAt: t0.Add(2 * time.Minute), Cause: phone.CauseDeclined}
	for _, c := range []phone.CallInfo{answered, missed, declined} {
		if !h.Add(EntryFromCall(c)) {
			t.Fatalf("%s not added", c.ID)
		}
	}
	if h.Add(EntryFromCall(missed)) {
		t.Fatal("the same call was recorded twice")
	}
	if h.UnseenMissed != 1 || h.Entries[0].CallID != "c3" || h.Entries[2].Duration() != time.Minute {
		t.Fatalf("history = %+v", h)
	}
	if !h.Entries[1].Missed() || h.Entries[0].Missed() || h.Entries[2].Missed() {
		t.Fatal("missed classification wrong")
	}
	if fwd := (HistoryEntry{Direction: phone.Inbound, Cause: phone.CauseForwarded}); fwd.Missed() {
		t.Fatal("a call sent to voicemail or forwarded counts as missed")
	}

	p := mapPrefs{}
	if err := SaveHistory(p, h); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistory(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 3 || got.UnseenMissed != 1 || !got.Entries[2].AnsweredAt.Equal(answered.AnsweredAt) ||
		got.Entries[1].PeerName != "Bob" || got.Version != HistoryVersion {
		t.Fatalf("round trip: %+v", got)
	}
	if !got.MarkSeen() || got.MarkSeen() || got.UnseenMissed != 0 {
		t.Fatal("MarkSeen")
	}

	for i := range MaxHistory + 10 {
		h.Add(HistoryEntry{CallID: phone.CallID(fmt.Sprint("x", i)), Peer: "sip:n@x", Direction: phone.Outbound})
	}
	if len(h.Entries) != MaxHistory || h.Entries[0].CallID != phone.CallID(fmt.Sprint("x", MaxHistory+9)) {
		t.Fatalf("cap: %d entries, newest %q", len(h.Entries), h.Entries[0].CallID)
	}
	if peers := h.RecentPeers(5); len(peers) != 1 || peers[0].Peer != "sip:n@x" {
		t.Fatalf("recent peers %+v", peers)
	}
}

func TestLoadHistoryBadValues(t *testing.T) {
	h, err := LoadHistory(mapPrefs{})
	if err != nil || len(h.Entries) != 0 {
		t.Fatalf("empty: %+v %v", h, err)
	}
	if _, err := LoadHistory(mapPrefs{HistoryKey: "{"}); !errors.Is(err, ErrSettingsUnreadable) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := LoadHistory(mapPrefs{HistoryKey: `{"version":9,"entries":[]}`}); !errors.Is(err, ErrSettingsTooNew) {
		t.Fatalf("too new: %v", err)
	}
}

func TestContactsPutDeleteRoundTrip(t *testing.T) {
	var cs Contacts
	z := cs.Put(Contact{Name: " Zoe ", Numbers: []string{" 1001 ", ""}})
	a := cs.Put(Contact{Name: "adam", SIPURI: "sip:adam@x"})
	if z.ID == "" || z.Name != "Zoe" || len(z.Numbers) != 1 || cs.Contacts[0].ID != a.ID {
		t.Fatalf("contacts %+v", cs)
	}
	z.Numbers = append(z.Numbers, "+4930123")
	cs.Put(z)
	if got, _ := cs.Get(z.ID); len(got.Targets()) != 2 || len(cs.Contacts) != 2 {
		t.Fatalf("edit: %+v", cs)
	}
	if (Contact{Name: "x"}).Validate() == nil || (Contact{Numbers: []string{"1"}}).Validate() == nil || a.Validate() != nil {
		t.Fatal("Validate")
	}
	p := mapPrefs{}
	if err := SaveContacts(p, cs); err != nil {
		t.Fatal(err)
	}
	got, err := LoadContacts(p)
	if err != nil || len(got.Contacts) != 2 || got.Contacts[1].Numbers[1] != "+4930123" {
		t.Fatalf("round trip %+v %v", got, err)
	}
	if !got.Delete(a.ID) || got.Delete(a.ID) || len(got.Contacts) != 1 {
		t.Fatal("Delete")
	}
	if strings.Contains(p[ContactsKey], "password") {
		t.Fatal("unexpected field")
	}
}

func TestSettingsWindowAndDirectIPRoundTrip(t *testing.T) {
	p := mapPrefs{}
	s, _ := Load(p)
	s.Window = WindowSize{Width: 500, Height: 900}
	s.DirectIPChosen = true
	if err := Save(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil || got.Window != s.Window || !got.DirectIPChosen || !got.Window.Valid() {
		t.Fatalf("%+v %v", got, err)
	}
	if (WindowSize{Width: 1, Height: 1}).Valid() {
		t.Fatal("tiny size valid")
	}
}
