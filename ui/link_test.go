package ui

import (
	"errors"
	"strings"
	"testing"

	"switchboard/phone"
)

// A click-to-call link dials from the chosen identity; one that cannot be
// called stays in the dial field with the reason.
func TestOpenLink(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.u.OpenLink("sip:bob@example.com")
	wantRecorded(t, h.fake, "Dial(,sip:bob@example.com)")
	if h.u.entry.Text != "" {
		t.Errorf("dial field %q after a placed call", h.u.entry.Text)
	}

	h.u.OpenLink("tel:+1 (555) 010-0199")
	wantRecorded(t, h.fake, "Dial(,sip:bob@example.com)", "Dial(,tel:+15550100199)")

	h.u.OpenLink("tel:not-a-number")
	wantRecorded(t, h.fake, "Dial(,sip:bob@example.com)", "Dial(,tel:+15550100199)")
	if h.u.entry.Text != "tel:not-a-number" {
		t.Errorf("a bad link should stay in the dial field, got %q", h.u.entry.Text)
	}

	h.fake.mu.Lock()
	h.fake.err = errors.New("no route")
	h.fake.mu.Unlock()
	h.u.OpenLink("sip:carol@example.com")
	if h.u.entry.Text != "sip:carol@example.com" || !strings.Contains(strings.ToLower(h.u.notice.Text), "no route") {
		t.Errorf("failed dial: field %q, notice %q", h.u.entry.Text, h.u.notice.Text)
	}

	// An empty link only brings the window forward.
	n := len(h.fake.Recorded())
	h.u.OpenLink("")
	if len(h.fake.Recorded()) != n {
		t.Error("an empty link dialled")
	}
}
