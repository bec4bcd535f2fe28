package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"switchboard/phone"
)

// HistoryKey is the preference key of the call history: one versioned JSON
// value, kept apart from Settings because it changes after every call.
const HistoryKey = "history.v1"

// HistoryVersion is the schema version SaveHistory writes.
const HistoryVersion = 1

// MaxHistory is how many calls the history keeps; older ones are dropped.
const MaxHistory = 500

// HistoryEntry is one ended call. Times are stored in UTC; zero AnsweredAt
// means the call was never answered.
type HistoryEntry struct {
	// CallID is the phone's call ID; it makes recording an ended call twice
	// (an event replayed) harmless.
	CallID     phone.CallID    `json:"call_id,omitempty"`
	AccountID  string          `json:"account,omitempty"`
	Direction  phone.Direction `json:"direction"`
	Peer       string          `json:"peer"`
	PeerName   string          `json:"peer_name,omitempty"`
	StartedAt  time.Time       `json:"started"`
	AnsweredAt time.Time       `json:"answered,omitzero"`
	EndedAt    time.Time       `json:"ended"`
	Cause      phone.EndCause  `json:"cause,omitempty"`
}

// Missed reports whether the entry is an inbound call nobody answered
// (the caller gave up, or it rang out).
func (e HistoryEntry) Missed() bool {
	return e.Cause == phone.CauseMissed ||
		e.Direction == phone.Inbound && e.AnsweredAt.IsZero() && e.Cause != phone.CauseDeclined &&
			e.Cause != phone.CauseForwarded // sent to voicemail or on by the user or a rule
}

// Duration is how long the call was connected (0 if never answered).
func (e HistoryEntry) Duration() time.Duration {
	if e.AnsweredAt.IsZero() || e.EndedAt.Before(e.AnsweredAt) {
		return 0
	}
	return e.EndedAt.Sub(e.AnsweredAt)
}

// EntryFromCall makes a history entry of an ended call.
func EntryFromCall(c phone.CallInfo) HistoryEntry {
	e := HistoryEntry{
		CallID: c.ID, AccountID: c.AccountID, Direction: c.Direction, Peer: c.Peer, PeerName: c.PeerName,
		StartedAt: c.StartedAt.UTC(), AnsweredAt: c.AnsweredAt.UTC(), EndedAt: c.EndedAt.UTC(), Cause: c.Cause,
	}
	if c.EndedAt.IsZero() {
		e.EndedAt = e.StartedAt
	}
	return e
}

// History is the call log, newest first, plus the missed-call badge.
type History struct {
	Version int            `json:"version"`
	Entries []HistoryEntry `json:"entries"`
	// UnseenMissed counts missed calls since the history was last viewed.
	UnseenMissed int `json:"unseen_missed,omitempty"`
}

// Add records e as the newest entry (ignoring a CallID already recorded),
// counts it for the badge if missed, and trims to MaxHistory. It reports
// whether e was added.
func (h *History) Add(e HistoryEntry) bool {
	if e.CallID != "" {
		for _, old := range h.Entries {
			if old.CallID == e.CallID && old.StartedAt.Equal(e.StartedAt) {
				return false
			}
		}
	}
	h.Entries = append([]HistoryEntry{e}, h.Entries...)
	if len(h.Entries) > MaxHistory {
		h.Entries = h.Entries[:MaxHistory]
	}
	if e.Missed() {
		h.UnseenMissed++
	}
	return true
}

// MarkSeen clears the missed-call badge and reports whether it was set.
func (h *History) MarkSeen() bool {
	was := h.UnseenMissed != 0
	h.UnseenMissed = 0
	return was
}

// Clone returns a deep copy of h.
func (h History) Clone() History {
	c := h
	c.Entries = append([]HistoryEntry(nil), h.Entries...)
	return c
}

// RecentPeers returns the distinct peers of the history, newest first, at
// most n (n <= 0: all).
func (h History) RecentPeers(n int) []HistoryEntry {
	var out []HistoryEntry
	seen := map[string]bool{}
	for _, e := range h.Entries {
		k := strings.ToLower(e.Peer)
		if e.Peer == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
		if n > 0 && len(out) == n {
			break
		}
	}
	return out
}

// LoadHistory reads the history from p. A missing value is an empty
// history; an unreadable one is an empty history and an error (the value
// is left in place, unchanged, until the next SaveHistory).
func LoadHistory(p PrefStore) (History, error) {
	h := History{Version: HistoryVersion}
	raw := p.String(HistoryKey)
	if strings.TrimSpace(raw) == "" {
		return h, nil
	}
	var got History
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		return h, fmt.Errorf("load call history: %w (%v)", ErrSettingsUnreadable, err)
	}
	if got.Version > HistoryVersion {
		return got, fmt.Errorf("load call history: %w (version %d)", ErrSettingsTooNew, got.Version)
	}
	got.Version = HistoryVersion
	if len(got.Entries) > MaxHistory {
		got.Entries = got.Entries[:MaxHistory]
	}
	return got, nil
}

// SaveHistory stores h in p under HistoryKey.
func SaveHistory(p PrefStore, h History) error {
	if h.Version < HistoryVersion {
		h.Version = HistoryVersion
	}
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save call history: %w", err)
	}
	p.SetString(HistoryKey, string(b))
	return nil
}
