package keyring

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"switchboard/app"
)

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	s := NewFileStore(dir)
	if _, err := s.Get("a"); !errors.Is(err, app.ErrNoSecret) {
		t.Fatalf("empty store: %v", err)
	}
	const pw = "hunter2-très-secret"
	if err := s.Set("sip:alice@example.com", pw); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("b", "x"); err != nil {
		t.Fatal(err)
	}
	// A fresh store on the same directory (next app start) reads it back.
	if got, err := NewFileStore(dir).Get("sip:alice@example.com"); err != nil || got != pw {
		t.Fatalf("Get = %q, %v", got, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, fileStoreData))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(pw)) || bytes.Contains(data, []byte("alice")) {
		t.Fatal("the data file holds plain text")
	}
	for _, f := range []string{fileStoreKey, fileStoreData} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s: %v %v, want private", f, fi.Mode(), err)
		}
	}
	if err := s.Delete("b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("b"); err != nil {
		t.Fatal("deleting a missing entry:", err)
	}
	if _, err := s.Get("b"); !errors.Is(err, app.ErrNoSecret) {
		t.Fatalf("after Delete: %v", err)
	}
	// Another key (a copied data file without its key) does not open it.
	if err := os.WriteFile(filepath.Join(dir, fileStoreKey), bytes.Repeat([]byte{1}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("sip:alice@example.com"); !errors.Is(err, app.ErrKeyringUnavailable) {
		t.Fatalf("wrong key: %v", err)
	}
}
