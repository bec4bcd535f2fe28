package launch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// shortDir returns a private temporary directory with a path short enough
// for a unix socket (sun_path is ~104 bytes on macOS).
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "sbl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "i")
}

// serve starts Serve on s and returns the channel of handled requests.
func serve(t *testing.T, s *Server, handle func(Request) error) <-chan Request {
	t.Helper()
	got := make(chan Request, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, nil, func(r Request) error {
			got <- r
			if handle != nil {
				return handle(r)
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return got
}

func TestHandoffInProcess(t *testing.T) {
	dir := shortDir(t)
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(dir); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
		t.Fatalf("instance dir: %v %v, want 0700", fi.Mode(), err)
	}
	if _, err := Listen(dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Listen: %v, want ErrRunning", err)
	}
	got := serve(t, s, func(r Request) error {
		if r.Link == "tel:+1" {
			return errors.New("no account")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Handoff(ctx, dir, "callto:alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.Link != "sip:alice@example.com" {
		t.Fatalf("handled %+v", r)
	}
	if err := Handoff(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.Link != "" {
		t.Fatalf("show handled as %+v", r)
	}
	if err := Handoff(ctx, dir, "tel:+1"); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "no account") {
		t.Fatalf("handler error came back as %v", err)
	}
	<-got
	if err := Handoff(ctx, dir, "http://x"); !errors.Is(err, ErrRefused) {
		t.Fatalf("non-link: %v", err)
	}
}

// A request without the key from the key file is refused and never
// reaches the handler.
func TestHandoffNeedsKey(t *testing.T) {
	dir := shortDir(t)
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := serve(t, s, nil)
	for _, line := range []string{
		proto + " 00 open sip:a@b\n",
		"hello\n",
		proto + "\n",
	} {
		c, err := dialInfo(context.Background(), dir, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, line)
		ans, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if !strings.HasPrefix(ans, "error ") {
			t.Errorf("%q answered %q", line, ans)
		}
	}
	select {
	case r := <-got:
		t.Fatalf("unauthenticated request handled: %+v", r)
	default:
	}
	if fi, err := os.Stat(filepath.Join(dir, infoName)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("key file: %v %v, want 0600", fi.Mode(), err)
	}
}

// A socket left by a crashed instance does not block the next one.
func TestListenReplacesStaleSocket(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows listens on loopback TCP, which leaves no file behind")
	}
	dir := shortDir(t)
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Simulate a crash: the listener goes away, the socket file stays.
	s.ln.(*net.UnixListener).SetUnlinkOnClose(false)
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, sockName)); err != nil {
		t.Fatal("the stale socket should still exist:", err)
	}
	s2, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen after a crash: %v", err)
	}
	s2.Close()
}

// helperEnv makes the test binary act as a "switchboard" launch (see
// TestMain): it holds the instance until stdin closes, printing handed-off
// links, or hands its argument off.
const helperEnv = "LAUNCH_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Getenv(helperEnv), os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// helperMain is main's launch logic in miniature: become the instance and
// print each link, or hand link off and exit 0.
func helperMain(dir, link string) int {
	s, err := Listen(dir)
	if errors.Is(err, ErrRunning) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := Handoff(ctx, dir, link); err != nil {
			fmt.Fprintln(os.Stderr, "handoff:", err)
			return 1
		}
		fmt.Println("handed off")
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("primary")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // stdin closing is our stop signal
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		cancel()
	}()
	_ = s.Serve(ctx, nil, func(r Request) error {
		fmt.Println("dial", r.Link)
		return nil
	})
	return 0
}

// TestHandoffTwoProcesses runs two real processes: the first becomes the
// instance, the second hands its link over and exits 0, and the first
// receives the link.
func TestHandoffTwoProcesses(t *testing.T) {
	dir := shortDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "--", "primary")
	first.Env = append(os.Environ(), helperEnv+"="+dir)
	stdin, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	first.Stderr = os.Stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := first.Wait(); err != nil {
			t.Errorf("first instance: %v", err)
		}
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "primary" {
		t.Fatalf("first process said %q", lines.Text())
	}
	second := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "--", "tel:+15551234567")
	second.Env = first.Env
	b, err := second.CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "handed off" {
		t.Fatalf("second process: %v: %s", err, b)
	}
	if !lines.Scan() || lines.Text() != "dial tel:+15551234567" {
		t.Fatalf("first process got %q", lines.Text())
	}
}
