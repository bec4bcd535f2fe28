//go:build linux

package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is a process the test started in its own process group; it is
// stopped by PID (SIGTERM to the group, SIGKILL after a grace period).
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

// startProc starts bin with env, stdout and stderr going to dir/name.log,
// plus extra files from fd 3 on; stdin is stdin (nil: none). It registers
// the stop with t.Cleanup and dumps the log when the test failed.
func startProc(t *testing.T, dir, name string, env []string, stdin string, extra []*os.File, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = f, f
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(5 * time.Second)
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 20000 {
				b = append([]byte("…"), b[len(b)-20000:]...)
			}
			t.Logf("---- %s log (%s) ----\n%s", name, logPath, b)
		}
	})
	return p
}

// stop sends SIGTERM to the process group, then SIGKILL after grace, and
// waits for the process; it reports whether it exited within grace.
func (p *proc) stop(grace time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // helpers left in the group
		return true
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
	return false
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// log returns the process's output so far.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// waitLog polls the process log until it contains every one of want (as
// substrings of one line) and returns that line. It fails fast if the
// process exits.
func (p *proc) waitLog(ctx context.Context, want ...string) (string, error) {
	for {
		for _, line := range strings.Split(p.log(), "\n") {
			ok := true
			for _, w := range want {
				if !strings.Contains(line, w) {
					ok = false
					break
				}
			}
			if ok {
				return line, nil
			}
		}
		if p.exited() {
			return "", fmt.Errorf("%s exited (%v) before logging %q", p.name, p.err, want)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%s: no log line with %q: %w", p.name, want, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readLine reads one line from r within d (the writer is a child process
// announcing its address or display).
func readLine(r *os.File, d time.Duration) (string, error) {
	ch := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && line == "" {
			errc <- err
			return
		}
		ch <- strings.TrimSpace(line)
	}()
	select {
	case l := <-ch:
		return l, nil
	case err := <-errc:
		return "", err
	case <-time.After(d):
		_ = r.Close() // unblocks the reader
		return "", errors.New("timed out")
	}
}

// retry runs f every interval until it succeeds or ctx ends.
func retry(ctx context.Context, interval time.Duration, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

// run runs a short helper command with env, bounded by d, and returns its
// combined output.
func run(env []string, stdin string, d time.Duration, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
