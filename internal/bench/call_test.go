package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/wavfile"
	"switchboard/internal/testpeer"
)

const (
	ourTone  = 500.0  // what switchboard sends (tone.wav)
	peerTone = 1200.0 // what baresip sends (ausine)
)

// TestMeasureCall measures one call (PCMU, or $SWITCHBOARD_BENCH_CODEC) between `switchboard cli` and
// baresip (see the package comment). It runs only with SWITCHBOARD_BENCH=1.
func TestMeasureCall(t *testing.T) {
	if os.Getenv("SWITCHBOARD_BENCH") != "1" {
		t.Skip("set SWITCHBOARD_BENCH=1 to measure a call (takes about a minute)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc; Linux only")
	}
	hold := 60 * time.Second
	if v := os.Getenv("SWITCHBOARD_BENCH_SECONDS"); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || s <= 0 {
			t.Fatalf("SWITCHBOARD_BENCH_SECONDS=%q: want a positive number of seconds", v)
		}
		hold = time.Duration(s * float64(time.Second))
	}
	codecName := "PCMU"
	if v := os.Getenv("SWITCHBOARD_BENCH_CODEC"); v != "" {
		codecName = v // e.g. opus, G722
	}
	tmp := t.TempDir()
	loadBefore := loadavg()

	bin := buildSwitchboard(t, tmp)

	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{
		Users: map[string]string{"alice": "alice-secret", "bob": "bob-secret"}})
	bob := testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		AutoAnswer: true, ToneHz: peerTone, Codecs: []string{codecName}})
	barePID := baresipPID(t, bob)

	toneWAV := filepath.Join(tmp, "tone.wav")
	writeTone(t, toneWAV, ourTone, time.Second)
	recWAV := filepath.Join(tmp, "rec.wav")

	sb := startCLI(t, bin, filepath.Join(tmp, "switchboard.stderr"),
		"--aor", "sip:alice@"+k.Domain, "--registrar", "sip:"+k.Addr("udp"),
		"--listen", "127.0.0.1:0", "--mic-wav", toneWAV, "--record-wav", recWAV, "--null-audio", "--codecs", codecName)

	sb.wait(t, 20*time.Second, "registered", "reg_failed", "error")
	sb.send(t, "dial bob")
	ans := sb.wait(t, 20*time.Second, "answered", "ended", "error")
	if c, _ := ans["codec"].(string); !strings.EqualFold(c, codecName) {
		t.Fatalf("answered with codec %q, want %s", c, codecName)
	}

	ourStart := sample(t, "switchboard", sb.pid())
	bareStart := sample(t, "baresip", barePID)
	t.Logf("call answered (%v); holding it for %v", ans["codec"], hold)
	if ev, ended := sb.during(hold, "ended", "error"); ended {
		t.Fatalf("call ended early: %v", ev)
	}
	ourEnd := sample(t, "switchboard", sb.pid())
	bareEnd := sample(t, "baresip", barePID)
	loadAfter := loadavg()

	sb.send(t, "stats")
	stats := sb.wait(t, 5*time.Second, "stats", "error")
	sb.send(t, "hangup")
	sb.wait(t, 10*time.Second, "ended")
	sb.send(t, "quit")
	if err := sb.exit(10 * time.Second); err != nil {
		t.Fatalf("switchboard cli after quit: %v", err)
	}

	// The measured call must really have carried audio both ways.
	heard := checkRecording(t, recWAV, hold)
	peerHeard := checkPeerHeard(t, bob, hold)

	rows := []row{
		makeRow("switchboard cli", ourStart, ourEnd),
		makeRow("baresip", bareStart, bareEnd),
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s call switchboard cli <-> baresip via Kamailio on 127.0.0.1, %v held (%s, %d CPUs, CLK_TCK %d)\n",
		codecName, ourEnd.At.Sub(ourStart.At).Round(time.Millisecond), runtime.Version(), runtime.NumCPU(), ClockTicks())
	fmt.Fprintf(&b, "load average before %s, after %s\n", loadBefore, loadAfter)
	b.WriteString(formatTable(rows))
	fmt.Fprintf(&b, "switchboard stats: sent %v received %v lost %v jitter %v ms; it heard %s; baresip heard %s\n",
		stats["packets_sent"], stats["packets_received"], stats["packets_lost"], stats["jitter_ms"], heard, peerHeard)
	fmt.Fprintf(&b, "RSS at hangup: switchboard cli %.1f MiB anon + %.1f MiB file-backed; baresip %.1f MiB anon + %.1f MiB file-backed\n",
		float64(ourEnd.AnonKiB)/1024, float64(ourEnd.FileKiB)/1024, float64(bareEnd.AnonKiB)/1024, float64(bareEnd.FileKiB)/1024)
	b.WriteString(threadReport("switchboard cli", ourStart, ourEnd))
	b.WriteString(threadReport("baresip", bareStart, bareEnd))
	t.Log("\n" + b.String())
	if out := os.Getenv("SWITCHBOARD_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Errorf("SWITCHBOARD_BENCH_OUT: %v", err)
		}
	}
}

// ---- measuring ----

// row is one process's line of the result table.
type row struct {
	name                string
	total, during       time.Duration
	user, sys           time.Duration // of during
	wall                time.Duration
	pct                 float64
	hwmMiB, rssStartMiB float64
	switchesPerSec      float64
	threads             int
}

func makeRow(name string, start, end Sample) row {
	wall := end.At.Sub(start.At)
	r := row{name: name, total: end.CPU, during: end.CPU - start.CPU, wall: wall,
		user: end.UserCPU - start.UserCPU, sys: end.SysCPU - start.SysCPU,
		hwmMiB: float64(end.HWMKiB) / 1024, rssStartMiB: float64(start.RSSKiB) / 1024, threads: end.Threads}
	if wall > 0 {
		r.pct = 100 * r.during.Seconds() / wall.Seconds()
		r.switchesPerSec = float64(int64(end.CtxSwitches)-int64(start.CtxSwitches)) / wall.Seconds()
	}
	return r
}

func formatTable(rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %12s %14s %14s %13s %13s %15s %13s %8s\n", "process", "CPU s total", "CPU s in call",
		"CPU % in call", "user/sys s", "peak RSS MiB", "RSS@answer MiB", "ctx switch/s", "threads")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-16s %12.2f %14.2f %13.2f%% %13s %13.1f %15.1f %13.0f %8d\n", r.name, r.total.Seconds(),
			r.during.Seconds(), r.pct, fmt.Sprintf("%.2f/%.2f", r.user.Seconds(), r.sys.Seconds()),
			r.hwmMiB, r.rssStartMiB, r.switchesPerSec, r.threads)
	}
	return b.String()
}

// threadReport lists the threads that used CPU during the call, and flags a
// thread that kept a core busy for most of it (a busy loop, such as
// baresip's ALSA writer on the non-blocking "null" device), giving the rest
// of the process's CPU use without it.
func threadReport(name string, start, end Sample) string {
	deltas := ThreadDeltas(start, end)
	var parts []string
	for _, th := range deltas {
		if th.CPU <= 0 || len(parts) == 6 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s/%d %.2fs", th.Name, th.TID, th.CPU.Seconds()))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	s := fmt.Sprintf("%s busiest threads in call: %s\n", name, strings.Join(parts, ", "))
	wall := end.At.Sub(start.At)
	if len(deltas) > 0 && wall > 0 && deltas[0].CPU > wall*8/10 {
		rest := (end.CPU - start.CPU) - deltas[0].CPU
		s += fmt.Sprintf("  note: %s thread %d was busy %.0f%% of the call (a busy loop?); the rest of %s used %.2f s = %.2f%% of a core\n",
			name, deltas[0].TID, 100*deltas[0].CPU.Seconds()/wall.Seconds(), name, rest.Seconds(), 100*rest.Seconds()/wall.Seconds())
	}
	return s
}

func sample(t *testing.T, what string, pid int) Sample {
	t.Helper()
	s, err := ReadSample(pid)
	if err != nil {
		t.Fatalf("sampling %s (pid %d): %v", what, pid, err)
	}
	return s
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// baresipPID finds the baresip process started for b: the one whose argv
// names its config directory.
func baresipPID(t *testing.T, b *testpeer.Baresip) int {
	t.Helper()
	pids := FindPIDs(func(argv []string) bool {
		if filepath.Base(argv[0]) != "baresip" {
			return false
		}
		for _, a := range argv[1:] {
			if a == b.Dir {
				return true
			}
		}
		return false
	})
	if len(pids) != 1 {
		t.Fatalf("want one baresip process with -f %s, found pids %v", b.Dir, pids)
	}
	return pids[0]
}

// ---- fixtures ----

// buildSwitchboard builds the module's main package into dir.
func buildSwitchboard(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	bin := filepath.Join(dir, "switchboard")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// writeTone writes d of a hz sine at half scale as 16-bit 8 kHz mono.
func writeTone(t *testing.T, path string, hz float64, d time.Duration) {
	t.Helper()
	w, err := wavfile.Create(path, audio.Mono8k)
	if err != nil {
		t.Fatal(err)
	}
	n := int(d.Seconds() * float64(audio.Mono8k.Rate))
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(16384 * math.Sin(2*math.Pi*hz*float64(i)/float64(audio.Mono8k.Rate)))
	}
	if _, err := w.Write(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkRecording checks that rec.wav holds the peer's tone near its start,
// middle and end, and returns a summary.
func checkRecording(t *testing.T, path string, hold time.Duration) string {
	t.Helper()
	s, f, err := wavfile.ReadAll(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if f != audio.Mono8k {
		t.Fatalf("%s is %+v, want 8 kHz mono", path, f)
	}
	got := time.Duration(len(s)) * time.Second / time.Duration(f.Rate)
	if got < hold*9/10 {
		t.Errorf("%s holds %v of audio for a %v call", path, got, hold)
	}
	var parts []string
	for _, at := range []float64{0.1, 0.5, 0.9} {
		a := int(at * float64(len(s)))
		z := min(a+f.Rate, len(s))
		win := s[a:z]
		hz, share := audio.DominantFrequency(win, f.Rate, 100, 3990, 10)
		level := audio.DBFS(audio.RMS(win))
		parts = append(parts, fmt.Sprintf("%.0f Hz (%.0f%%, %.0f dBFS) at %.0f%%", hz, share*100, level, at*100))
		if math.Abs(hz-peerTone) > 20 || share < 0.5 || level < -50 {
			t.Errorf("rec.wav at %.0f%%: dominant %.0f Hz, share %.2f, %.1f dBFS; want %.0f Hz", at*100, hz, share, level, peerTone)
		}
	}
	return fmt.Sprintf("%v: %s", got.Round(time.Millisecond), strings.Join(parts, ", "))
}

// checkPeerHeard checks that baresip received our tone late in the call.
func checkPeerHeard(t *testing.T, b *testpeer.Baresip, hold time.Duration) string {
	t.Helper()
	p := b.ReceivedWAV()
	if p == "" {
		t.Errorf("baresip wrote no received-audio dump in %s", b.RecDir)
		return "nothing"
	}
	w, err := testpeer.ReadWAV(p)
	if err != nil {
		t.Errorf("baresip dump: %v", err)
		return "?"
	}
	at := w.Duration() * 9 / 10
	ok, hz, level := testpeer.ListenTone(w.Window(at, time.Second), w.Rate, ourTone)
	if !ok {
		t.Errorf("baresip heard %.0f Hz at %.1f dBFS %v into %v of received audio, want %.0f Hz",
			hz, audio.DBFS(level), at.Round(time.Second), w.Duration(), ourTone)
	}
	return fmt.Sprintf("%.0f Hz at %.0f dBFS in %v", hz, audio.DBFS(level), w.Duration().Round(time.Millisecond))
}

// ---- the switchboard cli process ----

// cliProc is a running `switchboard cli` whose stdout events are collected.
type cliProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when the process has been waited for
	err   error         // its exit status, valid after done

	mu     sync.Mutex
	events []map[string]any
	lines  []string
	notify chan struct{}
	next   int // index of the next event wait/during look at
}

func startCLI(t *testing.T, bin, stderrPath string, args ...string) *cliProc {
	t.Helper()
	errf, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"cli"}, args...)...)
	env := []string{"SWITCHBOARD_PASSWORD=alice-secret", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "SWITCHBOARD_PASSWORD=") &&
			!strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stderr = errf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		errf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	p := &cliProc{t: t, cmd: cmd, stdin: stdin, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			var ev map[string]any
			if json.Unmarshal([]byte(line), &ev) != nil {
				ev = map[string]any{"event": "?", "line": line}
			}
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.events = append(p.events, ev)
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
		p.err = cmd.Wait() // after stdout is drained, as exec requires
		errf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("----- switchboard cli stdout -----\n%s", strings.Join(p.lines, "\n"))
			p.mu.Unlock()
			if b, err := os.ReadFile(stderrPath); err == nil {
				t.Logf("----- switchboard cli stderr -----\n%s", b)
			}
		}
	})
	return p
}

func (p *cliProc) pid() int { return p.cmd.Process.Pid }

func (p *cliProc) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("writing %q to switchboard cli: %v", line, err)
	}
}

// nextEvent returns the next unread event, waiting until deadline; ok is
// false on timeout or when the process has ended with nothing left to read.
func (p *cliProc) nextEvent(deadline time.Time) (map[string]any, bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		if p.next < len(p.events) {
			ev := p.events[p.next]
			p.next++
			p.mu.Unlock()
			return ev, true
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-p.done:
			p.mu.Lock()
			more := p.next < len(p.events)
			p.mu.Unlock()
			if !more {
				return nil, false
			}
		case <-timer.C:
			return nil, false
		}
	}
}

// wait returns the first unread event named want[0]; any other name in want
// (e.g. "error") fails the test, as does a timeout.
func (p *cliProc) wait(t *testing.T, timeout time.Duration, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ev, ok := p.nextEvent(deadline)
		if !ok {
			t.Fatalf("switchboard cli: no %q event within %v", want[0], timeout)
		}
		name, _ := ev["event"].(string)
		for i, w := range want {
			if name == w {
				if i > 0 {
					t.Fatalf("switchboard cli: got %v while waiting for %q", ev, want[0])
				}
				return ev
			}
		}
	}
}

// during lets d pass, returning early with the event if one named in stop
// arrives (or a synthetic one if the process ends).
func (p *cliProc) during(d time.Duration, stop ...string) (map[string]any, bool) {
	deadline := time.Now().Add(d)
	for {
		ev, ok := p.nextEvent(deadline)
		if !ok {
			select {
			case <-p.done:
				return map[string]any{"event": "exit", "err": fmt.Sprint(p.err)}, true
			default:
				return nil, false
			}
		}
		name, _ := ev["event"].(string)
		for _, s := range stop {
			if name == s {
				return ev, true
			}
		}
	}
}

// exit waits up to timeout for the process to end and returns its exit
// status (nil for exit code 0).
func (p *cliProc) exit(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("did not exit within %v", timeout)
	}
}

// stop ends the process group by PID: SIGTERM, then SIGKILL after 5 s.
func (p *cliProc) stop() {
	p.stdin.Close()
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.pid()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.t.Logf("switchboard cli pid %d still not reaped after SIGKILL", pgid)
		}
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
