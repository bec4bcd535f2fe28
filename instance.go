package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"switchboard/app/keyring"
)

// instanceID returns this install's stable +sip.instance UUID (RFC 5626)
// for the cli, kept in the user's config directory. The window keeps its
// own in the app settings. A fresh UUID is used if nothing can be stored.
func instanceID() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return uuid.NewString()
	}
	path := filepath.Join(dir, "switchboard", "instance-id")
	if b, err := os.ReadFile(path); err == nil {
		if id, err := uuid.Parse(strings.TrimSpace(string(b))); err == nil {
			return id.String()
		}
	}
	id := uuid.NewString()
	if os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		_ = os.WriteFile(path, []byte(id+"\n"), 0o600)
	}
	return id
}

// keyringLookup reads an account password from the OS keyring, failing
// fast (not hanging or launching daemons) where there is none.
func keyringLookup(accountID string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := keyring.Probe(ctx); err != nil {
		return "", err
	}
	return keyring.New().Get(accountID)
}
