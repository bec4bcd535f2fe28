package launch

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// File names inside the instance directory.
const (
	sockName = "instance.sock" // the running instance listens here (Unix)
	infoName = "instance.key"  // 0600: "network address key" of the running instance
	lockName = "instance.lock" // held (flock) for the running instance's lifetime
)

// proto starts every hand-off line; bump it if the line format changes.
const proto = "switchboard-handoff/1"

// maxLine bounds a hand-off line (a URI is far shorter).
const maxLine = 4096

// ErrRunning means another instance of this user holds the instance
// directory: hand the link to it with Handoff and exit.
var ErrRunning = errors.New("switchboard is already running")

// ErrRefused means the running instance did not accept a hand-off.
var ErrRefused = errors.New("the running instance refused the hand-off")

// Request is what a second launch hands to the running instance.
type Request struct {
	// Link is the dial target from ParseLink; empty: just show the window.
	Link string
}

// DefaultDir is the per-user directory for the instance socket:
// $XDG_RUNTIME_DIR/switchboard where the desktop provides one (Linux; it is
// private to the user and cleared at logout), else switchboard in the
// user's config directory (%AppData% on Windows, ~/Library/Application
// Support on macOS).
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		return filepath.Join(d, "switchboard"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "switchboard"), nil
}

// Server is the running instance's end: it accepts hand-offs from later
// launches of the same user.
type Server struct {
	dir    string
	key    []byte // hex of 32 random bytes, as stored in the key file
	ln     net.Listener
	unlock func()
	once   sync.Once
}

// Listen makes this process the user's running instance for dir (see
// DefaultDir), or returns ErrRunning when another process already is. The
// directory is created private (0700); a socket left behind by a crashed
// instance is replaced. Close releases it all.
//
// Only the same user can hand off: the socket and its key file live in the
// private directory, every request must carry the key (which only the
// user can read), and on Linux the peer's uid is checked as well.
func Listen(dir string) (*Server, error) {
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, unlock: unlock}
	ok := false
	defer func() {
		if !ok {
			unlock()
		}
	}()
	// Without a working file lock (Windows) a live instance is the sign.
	if c, err := dialInfo(context.Background(), dir, time.Second); err == nil {
		_ = c.Close()
		return nil, ErrRunning
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	s.key = []byte(hex.EncodeToString(raw))
	ln, err := listenLocal(dir)
	if err != nil {
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	info := ln.Addr().Network() + " " + ln.Addr().String() + " " + string(s.key) + "\n"
	if err := writePrivate(filepath.Join(dir, infoName), []byte(info)); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("instance key: %w", err)
	}
	s.ln = ln
	ok = true
	return s, nil
}

// Dir returns the instance directory.
func (s *Server) Dir() string { return s.dir }

// Serve accepts hand-offs until ctx ends or Close, calling handle for each
// authenticated request, one at a time; handle must return quickly (post
// the work to the UI and return). Its error is sent back to the second
// launch. Serve logs refused connections to log (nil: not logged).
func (s *Server) Serve(ctx context.Context, log *slog.Logger, handle func(Request) error) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if err := s.serveConn(c, handle); err != nil {
			log.Warn("refused an instance hand-off", "err", err)
		}
	}
}

func (s *Server) serveConn(c net.Conn, handle func(Request) error) error {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	reply := func(err error) error {
		msg := "ok\n"
		if err != nil {
			msg = "error " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
		}
		_, _ = io.WriteString(c, msg)
		return err
	}
	if err := checkPeer(c); err != nil {
		return reply(err)
	}
	line, err := bufio.NewReaderSize(io.LimitReader(c, maxLine), maxLine).ReadString('\n')
	if err != nil {
		return reply(fmt.Errorf("read request: %w", err))
	}
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != proto {
		return reply(errors.New("not a hand-off request"))
	}
	if subtle.ConstantTimeCompare([]byte(f[1]), s.key) != 1 {
		return reply(errors.New("wrong instance key"))
	}
	var req Request
	switch f[2] {
	case "show":
	case "open":
		if len(f) != 4 {
			return reply(errors.New("open needs one link"))
		}
		t, ok := ParseLink(f[3])
		if !ok {
			return reply(fmt.Errorf("%q is not a sip:, sips:, tel: or callto: link", f[3]))
		}
		req.Link = t
	default:
		return reply(fmt.Errorf("unknown hand-off verb %q", f[2]))
	}
	return reply(handle(req))
}

// Close stops listening and gives up the instance directory.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		if s.ln != nil {
			err = s.ln.Close()
		}
		_ = os.Remove(filepath.Join(s.dir, infoName))
		s.unlock()
	})
	return err
}

// Handoff gives link (empty: just show the window) to the running instance
// of this user in dir and waits for its answer. It retries until ctx ends
// while the running instance is still starting (lock taken, socket not
// there yet), so give ctx a deadline of a few seconds.
func Handoff(ctx context.Context, dir, link string) error {
	line := proto + " %s show\n"
	if link != "" {
		if strings.ContainsAny(link, " \t\r\n") {
			link = strings.NewReplacer(" ", "%20", "\t", "%09", "\r", "", "\n", "").Replace(link)
		}
		line = proto + " %s open " + link + "\n"
	}
	var last error
	for {
		err := handoffOnce(ctx, dir, line)
		if err == nil || errors.Is(err, ErrRefused) {
			return err
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("hand-off to the running instance: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readInfo returns the running instance's network, address and key.
func readInfo(dir string) (network, addr, key string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, infoName))
	if err != nil {
		return "", "", "", err
	}
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return "", "", "", errors.New("instance key file is damaged")
	}
	return f[0], f[1], f[2], nil
}

// dialInfo connects to the instance named in dir's info file.
func dialInfo(ctx context.Context, dir string, timeout time.Duration) (net.Conn, error) {
	network, addr, _, err := readInfo(dir)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(ctx, network, addr)
}

func handoffOnce(ctx context.Context, dir, format string) error {
	_, _, key, err := readInfo(dir)
	if err != nil {
		return err
	}
	c, err := dialInfo(ctx, dir, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := fmt.Fprintf(c, format, key); err != nil {
		return err
	}
	ans, err := bufio.NewReader(io.LimitReader(c, maxLine)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no answer from the running instance: %w", err)
	}
	ans = strings.TrimSpace(ans)
	if ans == "ok" {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrRefused, strings.TrimPrefix(ans, "error "))
}

// privateDir creates dir (0700) and, on Unix, refuses one that others can
// enter or that another user owns.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if runtime.GOOS == "windows" {
		return nil // the profile directory's ACL keeps other users out
	}
	if err := checkOwner(fi); err != nil {
		return fmt.Errorf("instance directory %s: %w", dir, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// writePrivate writes b to path (0600), replacing it atomically.
func writePrivate(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
