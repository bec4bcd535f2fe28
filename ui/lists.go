package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/app"
	"switchboard/phone"
)

// This file is the pure part of the History and Contacts tabs and of the
// dial field's completion: app data (plus the time) in, view models out.

// HistoryView is one line of the History tab.
type HistoryView struct {
	Title    string // contact or display name, else the number or user
	Subtitle string // the address without scheme, or "" when Title says it all
	// Detail is the kind, when and how long: "Missed · 12:03",
	// "Outgoing · Yesterday 09:15 · 1:05".
	Detail string
	Kind   string // "Incoming", "Outgoing", "Missed", "Declined", "Not answered"
	Missed bool
	// Target is what Redial dials; AccountID the identity it used.
	Target    string
	AccountID string
}

// PresentHistory turns history entries (newest first) into lines, naming
// peers from contacts where a number or address matches. Times are shown
// in now's location.
func PresentHistory(entries []app.HistoryEntry, contacts []app.Contact, now time.Time) []HistoryView {
	out := make([]HistoryView, 0, len(entries))
	for _, e := range entries {
		v := HistoryView{Target: e.Peer, AccountID: e.AccountID, Missed: e.Missed() && e.Cause != phone.CauseForwarded}
		v.Title, v.Subtitle = PeerText(e.PeerName, e.Peer)
		if c, ok := ContactFor(contacts, e.Peer); ok {
			v.Title = c.Name
			if v.Subtitle == "" {
				v.Subtitle = trimScheme(e.Peer)
			}
		}
		switch {
		case v.Missed:
			v.Kind = "Missed"
		case e.Direction == phone.Inbound && e.Cause == phone.CauseDeclined:
			v.Kind = "Declined"
		case e.Direction == phone.Inbound && e.Cause == phone.CauseForwarded:
			v.Kind = "Forwarded"
		case e.Direction == phone.Inbound:
			v.Kind = "Incoming"
		case e.AnsweredAt.IsZero():
			v.Kind = "Not answered"
		default:
			v.Kind = "Outgoing"
		}
		parts := []string{v.Kind, WhenText(e.StartedAt, now)}
		if d := e.Duration(); d > 0 {
			parts = append(parts, ClockText(d))
		}
		v.Detail = strings.Join(parts, " · ")
		out = append(out, v)
	}
	return out
}

// WhenText is a compact start time: "14:03" today, "Yesterday 14:03",
// "Mon 14:03" within the past week, "23 Nov 14:03" this year, else
// "23 Nov 2025 14:03". It uses now's location.
func WhenText(t, now time.Time) string {
	t = t.In(now.Location())
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	day := time.Date(y1, m1, d1, 0, 0, 0, 0, now.Location())
	today := time.Date(y2, m2, d2, 0, 0, 0, 0, now.Location())
	days := int(today.Sub(day).Hours()/24 + 0.5)
	clock := t.Format("15:04")
	switch {
	case days == 0:
		return clock
	case days == 1:
		return "Yesterday " + clock
	case days > 1 && days < 7:
		return t.Format("Mon") + " " + clock
	case y1 == y2:
		return t.Format("2 Jan") + " " + clock
	}
	return t.Format("2 Jan 2006") + " " + clock
}

// HistoryTabTitle is the History tab's label with the missed-call badge.
func HistoryTabTitle(unseenMissed int) string {
	if unseenMissed <= 0 {
		return "History"
	}
	return fmt.Sprintf("History (%d)", unseenMissed)
}

// ContactFor finds the contact whose number or SIP address is peer (a
// number matches the user part of a sip: URI).
func ContactFor(contacts []app.Contact, peer string) (app.Contact, bool) {
	addr := strings.ToLower(trimScheme(peer))
	if i := strings.IndexByte(addr, ';'); i >= 0 {
		addr = addr[:i]
	}
	user := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		user = addr[:i]
	}
	userNum, userIsNum := cleanNumber(user)
	for _, c := range contacts {
		if c.SIPURI != "" && strings.ToLower(trimScheme(c.SIPURI)) == addr {
			return c, true
		}
		if !userIsNum {
			continue
		}
		for _, n := range c.Numbers {
			if cn, ok := cleanNumber(n); ok && cn == userNum {
				return c, true
			}
		}
	}
	return app.Contact{}, false
}

// FilterContacts returns the contacts matching query (case-insensitive, in
// the name, a number with or without formatting, or the SIP address), in
// their order; an empty query matches all.
func FilterContacts(contacts []app.Contact, query string) []app.Contact {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return slices.Clone(contacts)
	}
	var out []app.Contact
	for _, c := range contacts {
		if contactMatches(c, q) {
			out = append(out, c)
		}
	}
	return out
}

func contactMatches(c app.Contact, q string) bool {
	if strings.Contains(strings.ToLower(c.Name), q) || strings.Contains(strings.ToLower(c.SIPURI), q) {
		return true
	}
	return slices.ContainsFunc(c.Numbers, func(n string) bool { return numberContains(n, q) })
}

// numberContains matches q inside number, ignoring formatting noise on
// both sides when q is number-like.
func numberContains(number, q string) bool {
	if strings.Contains(strings.ToLower(number), q) {
		return true
	}
	qn, ok := cleanNumber(q)
	if !ok {
		return false
	}
	n, _ := cleanNumber(number)
	return n != "" && strings.Contains(n, strings.TrimPrefix(qn, "+"))
}

// peerUser is the user part of a URI ("+1555" of "sip:+1555@host;x=y").
func peerUser(uri string) string {
	addr := trimScheme(uri)
	if i := strings.IndexByte(addr, ';'); i >= 0 {
		addr = addr[:i]
	}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i]
	}
	return addr
}

// ContactLine is how a contact's targets read in a list: numbers, then the
// SIP address, separated by commas.
func ContactLine(c app.Contact) string { return strings.Join(c.Targets(), ", ") }

// Suggestion is one completion offered under the dial field.
type Suggestion struct {
	Label  string // "Bob Customer · +15550100199"
	Target string // what goes into the dial field
}

// Suggest completes what was typed in the dial field from contacts (every
// number and the SIP address of a contact whose name or target matches),
// then recent dials, then history peers; at most max, no target twice,
// nothing for fewer than 2 characters.
func Suggest(typed string, contacts []app.Contact, recent []string, history []app.HistoryEntry, max int) []Suggestion {
	q := strings.ToLower(strings.TrimSpace(typed))
	if len([]rune(q)) < 2 || max <= 0 {
		return nil
	}
	var out []Suggestion
	seen := map[string]bool{}
	add := func(label, target string) bool {
		k := strings.ToLower(target)
		if target == "" || seen[k] || strings.EqualFold(target, strings.TrimSpace(typed)) {
			return len(out) < max
		}
		seen[k] = true
		out = append(out, Suggestion{Label: label, Target: target})
		return len(out) < max
	}
	for _, c := range contacts {
		nameHit := strings.Contains(strings.ToLower(c.Name), q)
		for _, t := range c.Targets() {
			if nameHit || numberContains(t, q) || strings.Contains(strings.ToLower(t), q) {
				if !add(c.Name+" · "+t, t) {
					return out
				}
			}
		}
	}
	for _, r := range recent {
		if numberContains(r, q) || strings.Contains(strings.ToLower(r), q) {
			name := r
			if c, ok := ContactFor(contacts, r); ok {
				name = c.Name + " · " + r
			}
			if !add(name, r) {
				return out
			}
		}
	}
	for _, e := range history {
		title, sub := PeerText(e.PeerName, e.Peer)
		if !strings.Contains(strings.ToLower(title), q) && !numberContains(peerUser(e.Peer), q) && !strings.Contains(strings.ToLower(e.Peer), q) {
			continue
		}
		label := title
		if sub != "" && sub != title {
			label += " · " + sub
		}
		if !add(label, e.Peer) {
			return out
		}
	}
	return out
}
