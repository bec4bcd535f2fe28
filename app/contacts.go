package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// ContactsKey is the preference key of the contact list (one versioned
// JSON value).
const ContactsKey = "contacts.v1"

// ContactsVersion is the schema version SaveContacts writes.
const ContactsVersion = 1

// ErrContactEmpty is returned by Contact.Validate when a contact has
// neither a name nor anything to call.
var ErrContactEmpty = errors.New("a contact needs a name and a number or SIP address")

// Contact is one entry of the address book.
type Contact struct {
	// ID is stable across edits (a UUID made by Contacts.Put).
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Numbers []string `json:"numbers,omitempty"`
	// SIPURI is an address such as sip:bob@example.com.
	SIPURI string `json:"sip,omitempty"`
}

// Targets returns what can be dialled for c: its numbers, then its SIP URI.
func (c Contact) Targets() []string {
	out := slices.Clone(c.Numbers)
	if c.SIPURI != "" {
		out = append(out, c.SIPURI)
	}
	return out
}

// Validate reports a contact without name or without any target.
func (c Contact) Validate() error {
	if strings.TrimSpace(c.Name) == "" || len(c.Targets()) == 0 {
		return ErrContactEmpty
	}
	return nil
}

// Contacts is the address book, sorted by name.
type Contacts struct {
	Version  int       `json:"version"`
	Contacts []Contact `json:"contacts"`
}

// Put adds c (a new ID if it has none) or replaces the contact with its ID,
// keeps the list sorted by name, and returns the stored contact.
func (cs *Contacts) Put(c Contact) Contact {
	c.Name = strings.TrimSpace(c.Name)
	c.SIPURI = strings.TrimSpace(c.SIPURI)
	nums := c.Numbers[:0:0]
	for _, n := range c.Numbers {
		if n = strings.TrimSpace(n); n != "" {
			nums = append(nums, n)
		}
	}
	c.Numbers = nums
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	i := slices.IndexFunc(cs.Contacts, func(o Contact) bool { return o.ID == c.ID })
	if i >= 0 {
		cs.Contacts[i] = c
	} else {
		cs.Contacts = append(cs.Contacts, c)
	}
	slices.SortStableFunc(cs.Contacts, func(a, b Contact) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return c
}

// Get returns the contact with id.
func (cs Contacts) Get(id string) (Contact, bool) {
	i := slices.IndexFunc(cs.Contacts, func(o Contact) bool { return o.ID == id })
	if i < 0 {
		return Contact{}, false
	}
	return cs.Contacts[i], true
}

// Delete removes the contact with id and reports whether it existed.
func (cs *Contacts) Delete(id string) bool {
	n := len(cs.Contacts)
	cs.Contacts = slices.DeleteFunc(cs.Contacts, func(o Contact) bool { return o.ID == id })
	return len(cs.Contacts) != n
}

// Clone returns a deep copy.
func (cs Contacts) Clone() Contacts {
	c := cs
	c.Contacts = make([]Contact, len(cs.Contacts))
	for i, o := range cs.Contacts {
		o.Numbers = slices.Clone(o.Numbers)
		c.Contacts[i] = o
	}
	return c
}

// LoadContacts reads the contacts from p; a missing value is an empty list.
func LoadContacts(p PrefStore) (Contacts, error) {
	cs := Contacts{Version: ContactsVersion}
	raw := p.String(ContactsKey)
	if strings.TrimSpace(raw) == "" {
		return cs, nil
	}
	var got Contacts
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		return cs, fmt.Errorf("load contacts: %w (%v)", ErrSettingsUnreadable, err)
	}
	if got.Version > ContactsVersion {
		return got, fmt.Errorf("load contacts: %w (version %d)", ErrSettingsTooNew, got.Version)
	}
	got.Version = ContactsVersion
	return got, nil
}

// SaveContacts stores cs in p under ContactsKey.
func SaveContacts(p PrefStore, cs Contacts) error {
	if cs.Version < ContactsVersion {
		cs.Version = ContactsVersion
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	p.SetString(ContactsKey, string(b))
	return nil
}
