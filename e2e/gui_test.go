//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	fynetest "fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"switchboard/app"
	"switchboard/app/keyring"
	"switchboard/internal/testpeer"
	"switchboard/phone"
)

// Tones: the app's microphone (PulseAudio sine source) and baresip's.
const (
	micHz   = 700.0
	bobHz   = 440.0
	appID   = "io.switchboard.app"
	winW    = 460 // the saved window size (the default is 440x780)
	winH    = 800
	display = "1280x1024x24"
)

// tools the test needs, with the Debian package that has each.
var tools = [][2]string{
	{"Xvfb", "xvfb"}, {"xdotool", "xdotool"}, {"xwd", "x11-apps"}, {"xwdtopnm", "netpbm"}, {"pnmtopng", "netpbm"},
	{"pulseaudio", "pulseaudio"}, {"pactl", "pulseaudio-utils"}, {"parec", "pulseaudio-utils"},
	{"dbus-daemon", "dbus"}, {"gnome-keyring-daemon", "gnome-keyring"}, {"secret-tool", "libsecret-tools"},
}

// env is the isolated environment every process of the test shares.
type env struct {
	t       *testing.T
	dir     string
	base    []string // PATH, LANG, HOME and XDG dirs in dir
	display string   // ":N"
	bus     string   // DBUS_SESSION_BUS_ADDRESS
	pulse   string   // PULSE_SERVER
	arts    string   // artifact directory
}

func (e *env) with(extra ...string) []string {
	return append(append([]string(nil), e.base...), extra...)
}

// TestGUIEndToEnd starts the real binary under Xvfb, registers it to
// Kamailio as alice with the password in gnome-keyring, lets baresip bob
// call, answers by clicking the Answer button with xdotool, checks audio
// both ways, saves screenshots, checks the password is only in the
// keyring, then starts again without a keyring daemon and expects the
// plain "No system keyring found" notice.
func TestGUIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end GUI test (Xvfb, PulseAudio, gnome-keyring, Kamailio, baresip); skipped under -short")
	}
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool[0]); err != nil {
			missing = append(missing, tool[0]+" (apt-get install "+tool[1]+")")
		}
	}
	if len(missing) > 0 {
		t.Skipf("end-to-end GUI test needs %s; scripts/deps.sh test installs them", strings.Join(missing, ", "))
	}
	began := time.Now()
	fynetest.NewTempApp(t) // for the theme's colours
	e := newEnv(t)
	bin := buildApp(t, e.dir)
	e.startXvfb()
	e.startDBus()
	keyringDaemon := e.startKeyring()
	e.startPulse()

	alicePW := "e2e-Alice-" + randHex(6)
	bobPW := "e2e-Bob-" + randHex(6)
	kam := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: map[string]string{"alice": alicePW, "bob": bobPW}})
	acct := phone.GenericPreset()
	acct.AOR = "sip:alice@" + kam.Domain
	acct.ID = acct.AOR
	acct.Registrar = "sip:" + kam.Addr("udp")
	acct.Transport = phone.UDP
	acct.Expiry = 120 * time.Second
	acct.Enabled = true
	prefsPath := e.writeSettings(acct, fmt.Sprintf("127.0.0.1:%d", testpeer.FreePort(t, "udp")))
	if _, err := run(e.with("DBUS_SESSION_BUS_ADDRESS="+e.bus), alicePW, 10*time.Second, "secret-tool", "store",
		"--label=Switchboard "+acct.ID, "service", keyring.Service, "username", acct.ID); err != nil {
		t.Fatal(err)
	}

	// ---- run 1: keyring, register, answer bob's call by clicking ----
	sw := e.startApp(bin, "app")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wid := e.window(ctx, sw)
	if geo, err := run(e.with("DISPLAY="+e.display), "", 5*time.Second, "xdotool", "getwindowgeometry", wid); err != nil {
		t.Error(err)
	} else if want := fmt.Sprintf("Geometry: %dx%d", winW, winH); !strings.Contains(geo, want) {
		t.Errorf("the saved window size was not restored: %q, want %q", geo, want)
	}
	if _, err := sw.waitLog(ctx, `msg="phone event"`, "event=registered"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sw.log(), "no system keyring") {
		t.Fatal("the app did not find the keyring")
	}

	bob := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: bobPW, Kamailio: kam, ToneHz: bobHz})
	if err := bob.Dial(ctx, "sip:alice@"+kam.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := sw.waitLog(ctx, `msg="phone event"`, "event=incoming"); err != nil {
		t.Fatal(err)
	}
	answer, err := e.findButton(ctx, wid, theme.ColorNameSuccess, 110, "ringing")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("clicking Answer at %v", answer)
	if _, err := run(e.with("DISPLAY="+e.display), "", 5*time.Second, "xdotool", "mousemove", "--window", wid,
		fmt.Sprint(answer.X), fmt.Sprint(answer.Y), "click", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := sw.waitLog(ctx, `msg="phone event"`, "event=answered"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitEventType(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}

	// Two-way audio: bob hears the app's microphone tone; the app's speaker
	// (the null sink's monitor) carries bob's tone.
	// Up to three looks: on a loaded machine the first second after the
	// answer can hold playback start-up glitches that spread the tone's
	// energy; a silent or wrong speaker fails all three.
	for try := 1; ; try++ {
		speaker := e.capture(ctx, "spk.monitor", "speaker.raw", 2*time.Second)
		ok, got, lvl := testpeer.ListenTone(speaker, 8000, bobHz)
		if ok {
			t.Logf("app speaker: %.0f Hz at level %.3f (look %d)", got, lvl, try)
			break
		}
		if try == 3 {
			t.Errorf("app speaker: want %v Hz from bob, got %.0f Hz at level %.4f", bobHz, got, lvl)
			break
		}
		t.Logf("app speaker, look %d: %.0f Hz at level %.4f; listening again", try, got, lvl)
	}
	w, err := bob.WaitReceived(ctx, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	heard := w.Window(w.Duration()-1500*time.Millisecond, time.Second)
	if ok, got, lvl := testpeer.ListenTone(heard, w.Rate, micHz); !ok {
		t.Errorf("bob: want the app's %v Hz microphone tone, got %.0f Hz at level %.4f", micHz, got, lvl)
	} else {
		t.Logf("bob hears: %.0f Hz at level %.3f", got, lvl)
	}
	e.screenshot(wid, "in_call.png")

	if err := bob.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sw.waitLog(ctx, `msg="phone event"`, "event=ended"); err != nil {
		t.Fatal(err)
	}
	if !sw.stop(15 * time.Second) {
		t.Error("the app did not exit within 15 s of SIGTERM")
	}

	// The password is in the keyring and nowhere else.
	out, err := run(e.with("DBUS_SESSION_BUS_ADDRESS="+e.bus), "", 10*time.Second, "secret-tool", "lookup",
		"service", keyring.Service, "username", acct.ID)
	if err != nil || strings.TrimSpace(out) != alicePW {
		t.Errorf("secret-tool lookup: %v (found %d bytes, want the password)", err, len(out))
	}
	prefs, err := os.ReadFile(prefsPath)
	if err != nil {
		t.Fatal(err)
	}
	logText := sw.log()
	if !strings.Contains(logText, "REGISTER sip:") || !strings.Contains(logText, "sip-trace") {
		t.Error("the SIP trace is missing from the log, so the leak check below proves little")
	}
	for what, text := range map[string]string{"preferences file": string(prefs), "app log and SIP trace": logText} {
		if strings.Contains(text, alicePW) {
			t.Errorf("the password appears in the %s", what)
		}
	}
	if strings.Contains(logText, "Error in Fyne call thread") {
		t.Error("Fyne reported a call on the wrong thread")
	}
	// The call is in the saved history.
	if !strings.Contains(historyOf(t, prefs), "sip:bob@") {
		t.Error("bob's call is not in the saved call history")
	}

	// ---- run 2: no keyring daemon: plain notice, app still starts ----
	if !keyringDaemon.stop(5 * time.Second) {
		t.Log("gnome-keyring-daemon needed SIGKILL")
	}
	sw2 := e.startApp(bin, "app-nokeyring")
	wid2 := e.window(ctx, sw2)
	if _, err := sw2.waitLog(ctx, "no system keyring"); err != nil {
		t.Fatal(err)
	}
	if err := e.findText(ctx, wid2, theme.ColorNameWarning, "no_keyring"); err != nil {
		t.Errorf("the keyring notice was not drawn: %v", err)
	}
	if !sw2.stop(15 * time.Second) {
		t.Error("the app did not exit within 15 s of SIGTERM (second run)")
	}
	if strings.Contains(sw2.log(), alicePW) {
		t.Error("the password appears in the second run's log")
	}
	t.Logf("end-to-end wall time %v; artifacts in %s", time.Since(began).Round(100*time.Millisecond), e.arts)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// artifactDir is t.ArtifactDir with -artifacts, else
// $SWITCHBOARD_ARTIFACTS, else $TMPDIR/switchboard-artifacts.
func artifactDir(t *testing.T) string {
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	dir := os.Getenv("SWITCHBOARD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "switchboard-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	e := &env{t: t, dir: dir, arts: artifactDir(t)}
	t.Logf("screenshots go to %s", e.arts)
	for _, d := range []string{"home", "config", "data", "cache", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	e.base = []string{
		"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "HOME=" + filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"TMPDIR=" + dir,
	}
	return e
}

// buildApp builds the real binary (cgo, Fyne) into dir, or returns
// $SWITCHBOARD_E2E_BIN when set (a binary built elsewhere).
func buildApp(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("SWITCHBOARD_E2E_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "switchboard")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func (e *env) startXvfb() {
	r, w, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	startProc(e.t, e.dir, "xvfb", e.base, "", []*os.File{w}, "Xvfb", "-displayfd", "3",
		"-screen", "0", display, "-nolisten", "tcp", "-noreset")
	w.Close()
	n, err := readLine(r, 20*time.Second)
	if err != nil || n == "" {
		e.t.Fatalf("Xvfb did not report its display: %v", err)
	}
	e.display = ":" + n
}

// startDBus runs a private session bus with no service activation (so
// nothing is launched behind the test's back).
func (e *env) startDBus() {
	sock := filepath.Join(e.dir, "bus")
	conf := filepath.Join(e.dir, "session.conf")
	cfg := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=` + sock + `</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	startProc(e.t, e.dir, "dbus", e.base, "", []*os.File{w}, "dbus-daemon", "--config-file="+conf, "--nofork",
		"--print-address=3")
	w.Close()
	addr, err := readLine(r, 20*time.Second)
	if err != nil || addr == "" {
		e.t.Fatalf("dbus-daemon did not report its address: %v", err)
	}
	e.bus = addr
}

// startKeyring runs gnome-keyring-daemon's Secret Service on the private
// bus with a login keyring unlocked by a throw-away password.
func (e *env) startKeyring() *proc {
	p := startProc(e.t, e.dir, "gnome-keyring", e.with("DBUS_SESSION_BUS_ADDRESS="+e.bus), "login-pw", nil,
		"gnome-keyring-daemon", "--foreground", "--components=secrets", "--unlock")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := retry(ctx, 200*time.Millisecond, func() error {
		if p.exited() {
			return errors.New("gnome-keyring-daemon exited")
		}
		_, err := run(e.with("DBUS_SESSION_BUS_ADDRESS="+e.bus), "probe", 5*time.Second, "secret-tool", "store",
			"--label=probe", "service", "switchboard-e2e", "username", "probe")
		return err
	})
	if err != nil {
		e.t.Fatalf("gnome-keyring-daemon not ready: %v", err)
	}
	return p
}

// startPulse runs PulseAudio on a private socket with two null sinks:
// "spk", the app's speaker, and "mic", whose monitor is the app's
// microphone and into which module-sine plays a tone. (module-sine-source
// would be simpler, but miniaudio's duplex stream starves on it.)
func (e *env) startPulse() {
	sock := filepath.Join(e.dir, "pulse")
	startProc(e.t, e.dir, "pulseaudio", e.base, "", nil, "pulseaudio", "-n", "--daemonize=no", "--system=no",
		"--exit-idle-time=-1", "--use-pid-file=no", "--disallow-exit", "--log-target=stderr",
		"-L", "module-native-protocol-unix socket="+sock+" auth-anonymous=1",
		"-L", "module-null-sink sink_name=spk",
		"-L", "module-null-sink sink_name=mic",
		"-L", fmt.Sprintf("module-sine sink=mic frequency=%d", int(micHz)))
	e.pulse = "unix:" + sock
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := retry(ctx, 200*time.Millisecond, func() error {
		_, err := run(e.with("PULSE_SERVER="+e.pulse), "", 5*time.Second, "pactl", "info")
		return err
	}); err != nil {
		e.t.Fatalf("pulseaudio not ready: %v", err)
	}
	for _, c := range [][]string{{"set-default-sink", "spk"}, {"set-default-source", "mic.monitor"}} {
		if _, err := run(e.with("PULSE_SERVER="+e.pulse), "", 5*time.Second, "pactl", c...); err != nil {
			e.t.Fatal(err)
		}
	}
}

// writeSettings writes the app's Fyne preferences file with acct and the
// listen address, as the app would have saved them, and returns its path.
func (e *env) writeSettings(acct phone.Account, listen string) string {
	st := app.Defaults()
	st.Accounts = []phone.Account{acct}
	st.ListenAddr = listen
	st.Window = app.WindowSize{Width: winW, Height: winH}
	// The microphone here is a steady sine, which speexdsp's noise
	// suppression (on by default) rightly takes for noise and removes;
	// real speech keeps its level (audio/aec's tests). Echo cancellation
	// stays on: the whole default pipeline but that one stage is tested.
	st.NoiseSuppressionOff = true
	m := mapPrefs{}
	if err := app.Save(m, st); err != nil {
		e.t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.dir, "config", "fyne", appID, "preferences.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

type mapPrefs map[string]string

func (m mapPrefs) String(k string) string { return m[k] }
func (m mapPrefs) SetString(k, v string)  { m[k] = v }

// historyOf returns the call history value of a preferences file.
func historyOf(t *testing.T, prefs []byte) string {
	var m map[string]any
	if err := json.Unmarshal(prefs, &m); err != nil {
		t.Fatalf("preferences file: %v", err)
	}
	s, _ := m[app.HistoryKey].(string)
	return s
}

// startApp starts the binary with debug logging and the SIP trace.
func (e *env) startApp(bin, name string) *proc {
	return startProc(e.t, e.dir, name, e.with(
		"DISPLAY="+e.display, "DBUS_SESSION_BUS_ADDRESS="+e.bus, "PULSE_SERVER="+e.pulse,
		"SWITCHBOARD_DEBUG=1", "SWITCHBOARD_SIP_TRACE=1", "FYNE_SCALE=1", "FYNE_THEME=dark",
	), "", nil, bin)
}

// window waits for the app's window and returns its X id.
func (e *env) window(ctx context.Context, p *proc) string {
	e.t.Helper()
	var wid string
	err := retry(ctx, 200*time.Millisecond, func() error {
		if p.exited() {
			return errors.New("the app exited")
		}
		out, err := run(e.with("DISPLAY="+e.display), "", 5*time.Second, "xdotool", "search", "--onlyvisible",
			"--name", "^Switchboard$")
		if err != nil {
			return err
		}
		wid = strings.Fields(out)[0]
		return nil
	})
	if err != nil {
		e.t.Fatalf("no Switchboard window: %v", err)
	}
	return wid
}

// screenshot saves the window as PNG in the artifact directory and
// returns the image.
func (e *env) screenshot(wid, name string) (image.Image, error) {
	path := filepath.Join(e.arts, name)
	sh := fmt.Sprintf("xwd -silent -id %s | xwdtopnm 2>/dev/null | pnmtopng > %q", wid, path)
	if _, err := run(e.with("DISPLAY="+e.display), "", 10*time.Second, "sh", "-c", sh); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err == nil {
		e.t.Logf("screenshot %s", path)
	}
	return img, err
}

// findButton takes screenshots until one shows a solid block of the dark
// theme's colour c at least minWidth pixels wide, saves it as name.png,
// and returns the block's centre in window coordinates. While the
// incoming-call overlay is up, its Answer button is the only full-strength
// success colour (the overlay dims the rest) and the only one that wide;
// before the overlay is drawn, the narrower Call button is.
func (e *env) findButton(ctx context.Context, wid string, c fyne.ThemeColorName, minWidth int, name string) (image.Point, error) {
	want := theme.DefaultTheme().Color(c, theme.VariantDark)
	var at image.Point
	err := retry(ctx, 200*time.Millisecond, func() error {
		img, err := e.screenshot(wid, name+".png")
		if err != nil {
			return err
		}
		box, n := largestBlock(img, want)
		if n < 200 || box.Dx() < minWidth {
			return fmt.Errorf("largest block of %v is %v (%d pixels)", want, box, n)
		}
		at = image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
		return nil
	})
	return at, err
}

// findText takes screenshots until one shows a line of text in the dark
// theme's colour c (anti-aliased glyphs: counted loosely, not as a block)
// and saves it as name.png.
func (e *env) findText(ctx context.Context, wid string, c fyne.ThemeColorName, name string) error {
	want := theme.DefaultTheme().Color(c, theme.VariantDark)
	return retry(ctx, 300*time.Millisecond, func() error {
		img, err := e.screenshot(wid, name+".png")
		if err != nil {
			return err
		}
		if n := countNear(img, want, 48); n < 150 {
			return fmt.Errorf("only %d pixels near %v", n, want)
		}
		return nil
	})
}

// countNear counts the pixels within tol (per channel) of want.
func countNear(img image.Image, want color.Color, tol int) int {
	wr, wg, wb, _ := want.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-int(wr>>8)) <= tol && abs(int(g>>8)-int(wg>>8)) <= tol && abs(int(bl>>8)-int(wb>>8)) <= tol {
				n++
			}
		}
	}
	return n
}

// largestBlock returns the bounding box (in image coordinates from 0,0) of
// the largest 4-connected area of pixels within a small distance of want,
// and its size in pixels.
func largestBlock(img image.Image, want color.Color) (image.Rectangle, int) {
	b := img.Bounds()
	wr, wg, wb, _ := want.RGBA()
	near := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		d := func(a, b uint32) int { return abs(int(a>>8) - int(b>>8)) }
		return d(r, wr) <= 6 && d(g, wg) <= 6 && d(bl, wb) <= 6
	}
	seen := make([]bool, b.Dx()*b.Dy())
	idx := func(x, y int) int { return (y-b.Min.Y)*b.Dx() + x - b.Min.X }
	best, bestN := image.Rectangle{}, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if seen[idx(x, y)] || !near(x, y) {
				continue
			}
			n := 0
			box := image.Rect(x, y, x+1, y+1)
			stack := []image.Point{{x, y}}
			seen[idx(x, y)] = true
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				n++
				box = box.Union(image.Rect(p.X, p.Y, p.X+1, p.Y+1))
				for _, q := range []image.Point{{p.X + 1, p.Y}, {p.X - 1, p.Y}, {p.X, p.Y + 1}, {p.X, p.Y - 1}} {
					if q.In(b) && !seen[idx(q.X, q.Y)] && near(q.X, q.Y) {
						seen[idx(q.X, q.Y)] = true
						stack = append(stack, q)
					}
				}
			}
			if n > bestN {
				best, bestN = box.Sub(b.Min), n
			}
		}
	}
	return best, bestN
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
