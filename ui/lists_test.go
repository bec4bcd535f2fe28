package ui

import (
	"slices"
	"testing"
	"time"

	"switchboard/app"
	"switchboard/phone"
)

func TestWhenText(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(-time.Hour), "11:00"},
		{time.Date(2026, 11, 23, 0, 5, 0, 0, time.UTC), "00:05"},
		{time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC), "Yesterday 23:59"},
		{time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC), "Thu 08:00"},
		{time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), "2 Nov 08:00"},
		{time.Date(2025, 12, 31, 8, 0, 0, 0, time.UTC), "31 Dec 2025 08:00"},
	} {
		if got := WhenText(tc.t, now); got != tc.want {
			t.Errorf("WhenText(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestPresentHistory(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	contacts := []app.Contact{{ID: "1", Name: "Bob Customer", Numbers: []string{"+1 555 010 0199"}}}
	entries := []app.HistoryEntry{
		{Direction: phone.Inbound, Peer: "sip:+15550100199@example.com", Cause: phone.CauseMissed,
			StartedAt: now.Add(-time.Minute), EndedAt: now.Add(-50 * time.Second), AccountID: "alice"},
		{Direction: phone.Outbound, Peer: "sip:1001@example.com", Cause: phone.CauseNormal,
			StartedAt: now.Add(-26 * time.Hour), AnsweredAt: now.Add(-26 * time.Hour).Add(5 * time.Second),
			EndedAt: now.Add(-26 * time.Hour).Add(70 * time.Second)},
		{Direction: phone.Inbound, Peer: "sip:carol@x.org", PeerName: "Carol", Cause: phone.CauseNormal,
			StartedAt: now.Add(-2 * time.Hour), AnsweredAt: now.Add(-2 * time.Hour), EndedAt: now.Add(-2*time.Hour + 3*time.Second)},
		{Direction: phone.Inbound, Peer: "sip:eve@x.org", Cause: phone.CauseDeclined, StartedAt: now, EndedAt: now},
		{Direction: phone.Outbound, Peer: "sip:2002@x.org", Cause: phone.CauseBusy, StartedAt: now, EndedAt: now},
	}
	got := PresentHistory(entries, contacts, now)
	want := []HistoryView{
		{Title: "Bob Customer", Subtitle: "+15550100199@example.com", Detail: "Missed · 11:59", Kind: "Missed",
			Missed: true, Target: "sip:+15550100199@example.com", AccountID: "alice"},
		{Title: "1001", Subtitle: "1001@example.com", Detail: "Outgoing · Yesterday 10:00 · 1:05", Kind: "Outgoing",
			Target: "sip:1001@example.com"},
		{Title: "Carol", Subtitle: "carol@x.org", Detail: "Incoming · 10:00 · 0:03", Kind: "Incoming", Target: "sip:carol@x.org"},
		{Title: "eve", Subtitle: "eve@x.org", Detail: "Declined · 12:00", Kind: "Declined", Target: "sip:eve@x.org"},
		{Title: "2002", Subtitle: "2002@x.org", Detail: "Not answered · 12:00", Kind: "Not answered", Target: "sip:2002@x.org"},
	}
	if !slices.Equal(got, want) {
		for i := range got {
			t.Errorf("%d: %+v", i, got[i])
		}
	}
	if HistoryTabTitle(0) != "History" || HistoryTabTitle(3) != "History (3)" {
		t.Error("HistoryTabTitle")
	}
}

func TestFilterContactsAndContactFor(t *testing.T) {
	cs := []app.Contact{
		{ID: "1", Name: "Bob Customer", Numbers: []string{"+1 555 010 0199"}},
		{ID: "2", Name: "Carol", SIPURI: "sip:carol@x.org"},
		{ID: "3", Name: "Helpdesk", Numbers: []string{"1001", "1002"}},
	}
	names := func(cs []app.Contact) (out []string) {
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", []string{"Bob Customer", "Carol", "Helpdesk"}},
		{"car", []string{"Carol"}},
		{"CUSTOMER", []string{"Bob Customer"}},
		{"0100", []string{"Bob Customer"}},
		{"555-010", []string{"Bob Customer"}},
		{"x.org", []string{"Carol"}},
		{"1002", []string{"Helpdesk"}},
		{"zzz", nil},
	} {
		if got := names(FilterContacts(cs, tc.q)); !slices.Equal(got, tc.want) {
			t.Errorf("FilterContacts(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
	for peer, want := range map[string]string{
		"sip:+15550100199@pbx.example.com": "Bob Customer",
		"sip:carol@x.org;transport=tcp":    "Carol",
		"1002":                             "Helpdesk",
		"sip:1003@x":                       "",
		"sip:bob@x.org":                    "",
	} {
		c, _ := ContactFor(cs, peer)
		if c.Name != want {
			t.Errorf("ContactFor(%q) = %q, want %q", peer, c.Name, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	cs := []app.Contact{
		{ID: "1", Name: "Bob Customer", Numbers: []string{"+15550100199"}, SIPURI: "sip:bob@x.org"},
		{ID: "3", Name: "Helpdesk", Numbers: []string{"1001"}},
	}
	recent := []string{"1001", "1009", "sip:dave@y.org"}
	hist := []app.HistoryEntry{
		{Peer: "sip:1001@pbx", Direction: phone.Outbound},
		{Peer: "sip:+15550100777@pbx", PeerName: "Erin", Direction: phone.Inbound},
	}
	targets := func(s []Suggestion) (out []string) {
		for _, x := range s {
			out = append(out, x.Label+"="+x.Target)
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		max  int
		want []string
	}{
		{"b", 5, nil},
		{"bob", 5, []string{"Bob Customer · +15550100199=+15550100199", "Bob Customer · sip:bob@x.org=sip:bob@x.org"}},
		{"100", 5, []string{"Bob Customer · +15550100199=+15550100199", "Helpdesk · 1001=1001", "1009=1009",
			"1001 · 1001@pbx=sip:1001@pbx", "Erin · +15550100777@pbx=sip:+15550100777@pbx"}},
		{"100", 2, []string{"Bob Customer · +15550100199=+15550100199", "Helpdesk · 1001=1001"}},
		{"help", 5, []string{"Helpdesk · 1001=1001"}},
		{"erin", 5, []string{"Erin · +15550100777@pbx=sip:+15550100777@pbx"}},
		{"dave", 5, []string{"sip:dave@y.org=sip:dave@y.org"}},
		{"555 0100", 5, []string{"Bob Customer · +15550100199=+15550100199", "Erin · +15550100777@pbx=sip:+15550100777@pbx"}},
		{"1001", 5, []string{"Bob Customer · +15550100199=+15550100199", "1001 · 1001@pbx=sip:1001@pbx"}}, // not the exact text
	} {
		if got := targets(Suggest(tc.q, cs, recent, hist, tc.max)); !slices.Equal(got, tc.want) {
			t.Errorf("Suggest(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
