//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	fynetest "fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"switchboard/app"
	"switchboard/internal/testpeer"
)

// TestClickToCallHandoff is issue 7's single-instance test with the real
// binary: a first `switchboard` runs its window under Xvfb; a second
// `switchboard sip:callee@127.0.0.1:PORT` (what a desktop URL handler
// runs) must exit 0 quickly, having handed the link over, and the first
// one calls it: a headless `switchboard cli --auto-answer` on loopback
// answers, so the call is real SIP and RTP, not just a log line. A third
// launch with a tel: link the first one cannot call (no account) must
// still be handed over and exit 0, and a launch with a bad argument exits
// 1 without disturbing the first.
func TestClickToCallHandoff(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end single-instance test (Xvfb, two app processes, a cli callee); skipped under -short")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "xwd", "xwdtopnm", "pnmtopng"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s; scripts/deps.sh test installs it", tool)
		}
	}
	fynetest.NewTempApp(t) // for the theme's colours
	e := newEnv(t)
	e.bus = "unix:path=/nonexistent" // no keyring, tray or notifications needed
	bin := buildApp(t, e.dir)
	e.startXvfb()

	// The window: direct IP (no account) on a loopback port.
	st := app.Defaults()
	st.ListenAddr = fmt.Sprintf("127.0.0.1:%d", testpeer.FreePort(t, "udp"))
	st.Window = app.WindowSize{Width: winW, Height: winH}
	m := mapPrefs{}
	if err := app.Save(m, st); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	prefs := filepath.Join(e.dir, "config", "fyne", appID, "preferences.json")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, b, 0o600); err != nil {
		t.Fatal(err)
	}

	// The callee: the headless front end, answering at once.
	calleePort := testpeer.FreePort(t, "udp")
	callee, calleeIn := startWithStdin(t, e, "callee", bin, "cli", "--listen",
		fmt.Sprintf("127.0.0.1:%d", calleePort), "--null-audio", "--auto-answer")
	defer calleeIn.Close()

	first := e.startApp(bin, "first")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wid := e.window(ctx, first)

	link := fmt.Sprintf("sip:callee@127.0.0.1:%d", calleePort)
	began := time.Now()
	out, err := run(e.with("DISPLAY="+e.display, "DBUS_SESSION_BUS_ADDRESS="+e.bus, "LANG=C.UTF-8"), "",
		15*time.Second, bin, link)
	if err != nil {
		t.Fatalf("second launch: %v", err)
	}
	if !strings.Contains(out, "handed over to the running Switchboard") {
		t.Errorf("second launch did not say it handed over: %s", out)
	}
	t.Logf("second launch exited 0 after %v", time.Since(began).Round(time.Millisecond))

	if _, err := first.waitLog(ctx, "link from another launch", "link="+link); err != nil {
		t.Fatal(err)
	}
	if _, err := first.waitLog(ctx, `msg="phone event"`, "event=dialing", "peer="+link); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.waitLog(ctx, `"event":"answered"`); err != nil {
		t.Fatal(err)
	}
	if _, err := first.waitLog(ctx, `msg="phone event"`, "event=answered"); err != nil {
		t.Fatal(err)
	}
	// The window shows the call card (its red Hang up button) instead of
	// the first-run screen. Then keep a settled screenshot (two in a row
	// alike) as handoff_call.png.
	if _, err := e.findButton(ctx, wid, theme.ColorNameError, 80, "handoff_call"); err != nil {
		t.Errorf("no call card with a Hang up button: %v", err)
	}
	var last image.Image
	if err := retry(ctx, 300*time.Millisecond, func() error {
		img, err := e.screenshot(wid, "handoff_call.png")
		if err != nil {
			return err
		}
		same := last != nil && sameImage(img, last)
		last = img
		if !same {
			return errors.New("the window is still changing")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if strings.Contains(first.log(), "event=ended") {
		t.Fatalf("the call ended at once:\n%s", first.log())
	}

	// A second process with a bad argument fails on its own.
	if out, err := run(e.with("DISPLAY="+e.display), "", 15*time.Second, bin, "http://example.com"); err == nil {
		t.Errorf("a non-call argument was accepted: %s", out)
	}
	// Without a link, a second launch only brings the window forward.
	if _, err := run(e.with("DISPLAY="+e.display, "LANG=C.UTF-8"), "", 15*time.Second, bin); err != nil {
		t.Errorf("plain second launch: %v", err)
	}
	if first.exited() {
		t.Fatal("the first instance exited")
	}
	if !first.stop(15 * time.Second) {
		t.Error("the app did not exit within 15 s of SIGTERM")
	}
	if strings.Contains(first.log(), "Error in Fyne call thread") {
		t.Error("Fyne reported a call on the wrong thread")
	}
}

// startWithStdin is startProc with a stdin pipe the test keeps open (the
// cli exits at end of input).
func startWithStdin(t *testing.T, e *env, name, bin string, args ...string) (*proc, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(e.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = e.with("DBUS_SESSION_BUS_ADDRESS="+e.bus), e.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		w.Close()
		p.stop(5 * time.Second)
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("---- %s log ----\n%s", name, b)
		}
	})
	return p, w
}

// sameImage reports whether a and b have the same pixels.
func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
