package testpeer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SippTimeout bounds RunSipp when ctx has no deadline.
var SippTimeout = 60 * time.Second

// RunSipp runs sipp with args in a fresh temp dir (its working directory,
// where scenario files and sipp's own logs go) and returns its combined
// stdout and stderr. Unless given, "-i 127.0.0.1", "-p <free port>" and
// "-nostdin" are added. sipp runs in its own process group and is killed
// when ctx ends (SippTimeout if ctx has no deadline). err is non-nil if sipp
// exits non-zero (e.g. a failed call) or times out; the output is logged
// with t.Log then.
func RunSipp(ctx context.Context, t testing.TB, args ...string) (stdout string, err error) {
	t.Helper()
	bin := requireBinary(t, "sipp", "sip-tester")
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, SippTimeout)
		defer cancel()
	}
	has := func(flag string) bool {
		for _, a := range args {
			if a == flag {
				return true
			}
		}
		return false
	}
	if !has("-i") {
		args = append(args, "-i", "127.0.0.1")
	}
	if !has("-p") {
		args = append(args, "-p", fmt.Sprint(FreePort(t, "udp+tcp")))
	}
	if !has("-nostdin") {
		args = append(args, "-nostdin")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = groupAttr()
	cmd.Cancel = func() error {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		return nil
	}
	cmd.WaitDelay = StopTimeout
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	stdout = out.String()
	os.WriteFile(filepath.Join(dir, "sipp.out"), out.Bytes(), 0o644)
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("sipp: %w (%v)", ctx.Err(), err)
	}
	if err != nil {
		t.Logf("sipp %v failed: %v\n%s", args, err, tail(stdout, 16<<10))
	}
	return stdout, err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}
