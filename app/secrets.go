package app

import (
	"errors"
	"log/slog"
	"sync"
)

// Errors of a SecretStore.
var (
	// ErrNoSecret means no password is stored for the account.
	ErrNoSecret = errors.New("no password stored for this account")
	// ErrKeyringUnavailable means the system keyring cannot be used (no
	// Secret Service, no session bus, locked or not answering).
	ErrKeyringUnavailable = errors.New("system keyring unavailable")
)

// SecretStore keeps account passwords, keyed by account ID. Calls may block
// (D-Bus, an unlock prompt): never call them on the UI goroutine.
type SecretStore interface {
	// Get returns the secret for account, or an error wrapping ErrNoSecret.
	Get(account string) (string, error)
	// Set stores secret for account, replacing any previous one.
	Set(account, secret string) error
	// Delete removes the secret for account; a missing one is not an error.
	Delete(account string) error
}

// MemStore is a SecretStore in memory: for tests, and the "this run only"
// fallback when there is no system keyring. The zero value is ready to use.
type MemStore struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{} }

// Get implements SecretStore.
func (s *MemStore) Get(account string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[account]
	if !ok {
		return "", ErrNoSecret
	}
	return v, nil
}

// Set implements SecretStore.
func (s *MemStore) Set(account, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[account] = secret
	return nil
}

// Delete implements SecretStore.
func (s *MemStore) Delete(account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, account)
	return nil
}

// Secret is a password or token. It prints and logs as "[redacted]";
// convert with string(s) where the real value is needed.
type Secret string

// Redacted is what a Secret shows instead of its value.
const Redacted = "[redacted]"

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// String implements fmt.Stringer, so %s and %v never reveal the value.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer for %#v.
func (Secret) GoString() string { return Redacted }
