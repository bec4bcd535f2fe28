package testpeer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopTimeout is how long a stopped peer gets between SIGTERM and SIGKILL.
var StopTimeout = 5 * time.Second

// requireBinary returns the path of the executable name, or skips the test
// under -short / fails it otherwise, telling which apt package provides it.
func requireBinary(t testing.TB, name, aptPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() {
			return filepath.Join(dir, name)
		}
	}
	missing(t, fmt.Sprintf("%s not found in PATH", name), aptPackage)
	return ""
}

// missing skips under -short, else fails, with an install hint.
func missing(t testing.TB, what, aptPackage string) {
	t.Helper()
	msg := fmt.Sprintf("%s: install it with `apt-get install %s` (or scripts/deps.sh test)", what, aptPackage)
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
}

// FreePort returns a port on 127.0.0.1 that is free right now for network
// "udp" or "tcp", or for both at once with "udp+tcp" (as SIP servers listen on
// the same number for both). The port is released before returning, so
// another process may in principle grab it; callers start their peer at once.
func FreePort(t testing.TB, network string) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		p, err := freePort(network)
		if err == nil {
			return p
		}
		if i == 49 {
			t.Fatalf("testpeer: no free %s port: %v", network, err)
		}
	}
	return 0
}

func freePort(network string) (int, error) {
	switch network {
	case "tcp", "tcp4":
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	case "udp", "udp4":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	case "udp+tcp", "tcp+udp":
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return 0, err
		}
		c.Close()
		return port, nil
	}
	return 0, fmt.Errorf("unknown network %q", network)
}

// process is one peer process run in its own process group.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	mu      sync.Mutex
	err     error
	stopped bool
}

// startProcess starts bin in its own process group with stdout and stderr
// appended to logPath.
func startProcess(name, logPath, dir string, bin string, args ...string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "=== %s %s %s\n", time.Now().Format("15:04:05.000"), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = groupAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and its wait error.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the process group, waits up to StopTimeout, then
// sends SIGKILL to the group. It is idempotent.
func (p *process) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		<-p.done
		return
	}
	p.stopped = true
	p.mu.Unlock()
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlived the leader (kamailio workers) get killed too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if !waitGroupGone(pgid, 2*time.Second) {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// waitGroupGone polls until no process of group pgid is left.
func waitGroupGone(pgid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dumpLog writes the tail of a log file to t.Log.
func dumpLog(t testing.TB, title, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("%s: %v", title, err)
		return
	}
	const max = 64 << 10
	if len(b) > max {
		b = append([]byte("...(truncated)...\n"), b[len(b)-max:]...)
	}
	t.Logf("----- %s (%s) -----\n%s", title, path, bytes.TrimRight(b, "\n"))
}
