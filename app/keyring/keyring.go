//go:build !android

// Package keyring stores account passwords in the operating system's
// keyring (Secret Service on Linux/BSD, Keychain on macOS, Credential
// Manager on Windows) through github.com/zalando/go-keyring. It implements
// app.SecretStore and is the only package that imports go-keyring.
//
// Call Probe before use: on Linux without a D-Bus session bus godbus would
// autolaunch dbus-daemon (and a keyring daemon) that outlive the app while
// writes still fail, so Probe refuses to go near D-Bus unless a session bus
// is already there, and bounds the round trip in time.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"switchboard/app"
)

// DefaultTimeout bounds each keyring call of a Store. It is generous
// because the first access may show an unlock prompt.
const DefaultTimeout = 60 * time.Second

// probeUser is the account name of Probe's throw-away entry.
const probeUser = "switchboard-keyring-probe"

// Store is an app.SecretStore in the system keyring. Its methods block (a
// D-Bus round trip, perhaps an unlock prompt), so call them off the UI
// goroutine.
type Store struct {
	service string
	timeout time.Duration
}

var _ app.SecretStore = (*Store)(nil)

// New returns a Store for Service with DefaultTimeout.
func New() *Store { return &Store{service: Service, timeout: DefaultTimeout} }

// Get implements app.SecretStore; a missing entry wraps app.ErrNoSecret.
func (s *Store) Get(account string) (string, error) {
	var v string
	err := s.bounded(func() (err error) {
		v, err = gokeyring.Get(s.service, account)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("keyring get %q: %w", account, s.mapErr(err))
	}
	return v, nil
}

// Set implements app.SecretStore.
func (s *Store) Set(account, secret string) error {
	if err := s.bounded(func() error { return gokeyring.Set(s.service, account, secret) }); err != nil {
		return fmt.Errorf("keyring set %q: %w", account, s.mapErr(err))
	}
	return nil
}

// Delete implements app.SecretStore; a missing entry is not an error.
func (s *Store) Delete(account string) error {
	err := s.bounded(func() error { return gokeyring.Delete(s.service, account) })
	if err != nil && !errors.Is(err, gokeyring.ErrNotFound) {
		return fmt.Errorf("keyring delete %q: %w", account, s.mapErr(err))
	}
	return nil
}

func (s *Store) mapErr(err error) error {
	switch {
	case errors.Is(err, gokeyring.ErrNotFound):
		return app.ErrNoSecret
	case errors.Is(err, gokeyring.ErrUnsupportedPlatform):
		return app.ErrKeyringUnavailable
	}
	return err
}

// bounded runs f on its own goroutine and gives up after the Store's
// timeout (the goroutine then finishes on its own).
func (s *Store) bounded(f func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	return runBounded(ctx, f)
}

func runBounded(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: the keyring did not answer in time", app.ErrKeyringUnavailable)
	}
}

// Probe reports whether the system keyring can store and return a secret.
// It fails fast, without starting any process, when there is no session bus
// to talk to, and otherwise writes, reads and deletes a throw-away entry
// within ctx (give it a deadline of a few seconds). Every failure wraps
// app.ErrKeyringUnavailable and reads as a plain sentence.
func Probe(ctx context.Context) error {
	return probe(ctx, sessionBusCheck)
}

func probe(ctx context.Context, busCheck func() error) error {
	if busCheck != nil {
		if err := busCheck(); err != nil {
			return fmt.Errorf("%w: %v", app.ErrKeyringUnavailable, err)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	const value = "probe"
	err := runBounded(ctx, func() error {
		if err := gokeyring.Set(Service, probeUser, value); err != nil {
			return err
		}
		got, err := gokeyring.Get(Service, probeUser)
		if err != nil {
			return err
		}
		if got != value {
			return errors.New("it returned a different value than was stored")
		}
		return gokeyring.Delete(Service, probeUser)
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, app.ErrKeyringUnavailable):
		return err
	case errors.Is(err, gokeyring.ErrUnsupportedPlatform):
		return fmt.Errorf("%w: this platform has no supported keyring", app.ErrKeyringUnavailable)
	}
	return fmt.Errorf("%w: %v", app.ErrKeyringUnavailable, err)
}

// SetAppDir is where the app may keep private files. Desktop builds keep
// secrets in the OS keyring and ignore it; see the Android build.
func SetAppDir(string) {}

// SessionBus reports (nil) whether a D-Bus session bus is reachable
// without autolaunching one, on the platforms that use D-Bus (Linux and
// BSDs; elsewhere it always returns nil). Anything else that talks to the
// session bus (desktop notifications, the tray) should check it first. It
// may dial a unix socket with a one-second timeout.
func SessionBus() error { return sessionBusCheck() }

// sessionBusCheck returns an error when go-keyring would have to autolaunch
// a D-Bus session bus (Linux and BSDs only). It mirrors godbus's address
// lookup: DBUS_SESSION_BUS_ADDRESS, then /run/user/<uid>/bus and
// /run/user/<uid>/dbus-session, then (which we refuse) dbus-launch.
func sessionBusCheck() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return nil
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr != "" && addr != "autolaunch:" {
		return checkBusAddress(addr)
	}
	u, err := user.Current()
	if err != nil {
		return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
	}
	dir := filepath.Join("/run/user", u.Uid)
	if path := filepath.Join(dir, "bus"); isSocket(path) {
		return checkBusAddress("unix:path=" + path)
	}
	if _, err := os.Stat(filepath.Join(dir, "dbus-session")); err == nil {
		return nil
	}
	return errors.New("no D-Bus session bus is running (DBUS_SESSION_BUS_ADDRESS is not set), so the Secret Service cannot be reached")
}

// checkBusAddress checks the unix:path= entries of a D-Bus address list:
// at least one must accept a connection. Other transports (abstract
// sockets, tcp) are accepted unchecked.
func checkBusAddress(addr string) error {
	var tried []string
	for _, entry := range strings.Split(addr, ";") {
		transport, params, _ := strings.Cut(entry, ":")
		if transport != "unix" {
			return nil
		}
		path := ""
		for _, kv := range strings.Split(params, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				if k != "path" {
					return nil // abstract=, dir=, tmpdir=: leave it to godbus
				}
				path = v
			}
		}
		if path == "" {
			continue
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		tried = append(tried, path)
	}
	return fmt.Errorf("the D-Bus session bus at %s does not answer", strings.Join(tried, ", "))
}

func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
