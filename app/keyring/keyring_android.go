//go:build android

// Package keyring stores account passwords. On Android go-keyring has no
// backend (its Linux build would try D-Bus and fail on every call), so
// this build keeps them in a FileStore in the app's private storage, which
// main names with SetAppDir (fyne's app.Storage root).
package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"switchboard/app"
)

// DefaultTimeout matches the desktop build; file access does not need it.
const DefaultTimeout = 0

// Store is the Android secret store: a FileStore in the app directory.
type Store = FileStore

var (
	dirMu  sync.Mutex
	appDir string
)

// SetAppDir sets the app's private directory (call it before New/Probe).
func SetAppDir(dir string) {
	dirMu.Lock()
	defer dirMu.Unlock()
	appDir = dir
}

func secretsDir() string {
	dirMu.Lock()
	defer dirMu.Unlock()
	if appDir == "" {
		return ""
	}
	return filepath.Join(appDir, "secrets")
}

// New returns the FileStore in the app directory.
func New() *Store { return NewFileStore(secretsDir()) }

// Probe reports whether the app directory is set and writable.
func Probe(ctx context.Context) error {
	dir := secretsDir()
	if dir == "" {
		return errors.Join(app.ErrKeyringUnavailable, errors.New("no app directory for the secret store"))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errors.Join(app.ErrKeyringUnavailable, err)
	}
	return ctx.Err()
}

// SessionBus returns nil: Android has no D-Bus to avoid.
func SessionBus() error { return nil }
