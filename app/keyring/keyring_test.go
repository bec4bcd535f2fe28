//go:build !android

package keyring

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"switchboard/app"
)

// These tests swap go-keyring's global provider (MockInit), so none of them
// may run in parallel.

func TestStoreWithMock(t *testing.T) {
	gokeyring.MockInit()
	s := New()
	if _, err := s.Get("alice"); !errors.Is(err, app.ErrNoSecret) {
		t.Fatalf("Get missing = %v, want ErrNoSecret", err)
	}
	if err := s.Set("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("alice"); err != nil || v != "pw" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete("alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("alice"); err != nil {
		t.Fatalf("Delete missing = %v", err)
	}
}

func TestProbeWithMock(t *testing.T) {
	gokeyring.MockInit()
	if err := probe(context.Background(), nil); err != nil {
		t.Fatalf("probe with a working keyring: %v", err)
	}
	gokeyring.MockInitWithError(errors.New("failed to unlock correct collection"))
	err := probe(context.Background(), nil)
	if !errors.Is(err, app.ErrKeyringUnavailable) {
		t.Fatalf("probe with a failing keyring = %v", err)
	}
}

func TestProbeTimesOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	block := make(chan struct{})
	defer close(block)
	err := runBounded(ctx, func() error { <-block; return nil })
	if !errors.Is(err, app.ErrKeyringUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

// TestProbeNoSessionBus runs the real Probe with a bus address that does
// not exist: it must fail at once without starting dbus-daemon.
func TestProbeNoSessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("D-Bus check is Linux/BSD only")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	start := time.Now()
	err := Probe(context.Background())
	if !errors.Is(err, app.ErrKeyringUnavailable) {
		t.Fatalf("Probe = %v, want ErrKeyringUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Probe took %v", d)
	}
	t.Log(err)
}

func TestCheckBusAddress(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	defer l.Close()
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"unix:path=" + sock, true},
		{"unix:path=/nonexistent", false},
		{"unix:path=/nonexistent;unix:path=" + sock, true},
		{"unix:abstract=/tmp/dbus-x", true},
		{"tcp:host=localhost,port=1", true},
	} {
		if err := checkBusAddress(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkBusAddress(%q) = %v", tc.addr, err)
		}
	}
}
