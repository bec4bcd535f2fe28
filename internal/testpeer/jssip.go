package testpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// JsSIPOptions configures StartJsSIP.
type JsSIPOptions struct {
	// WSURL is the SIP WebSocket server, e.g. "ws://127.0.0.1:8080".
	WSURL string
	// URI and Password are the JsSIP account ("sip:bob@switchboard.test").
	URI, Password string
	// ToneHz is the sine the browser sends (WebAudio oscillator); 0: silence.
	ToneHz float64
	// ReadyTimeout bounds browser start-up and registration (default 40 s;
	// Chromium takes 4-9 s on a busy machine, webrtc-notes 24).
	ReadyTimeout time.Duration
}

// JsSIP is JsSIP running in headless Debian Chromium, driven by
// playwright-core through a small node driver (jssip/driver.cjs) that
// answers on 127.0.0.1. Chromium is launched so that it reaches nothing off
// the machine (webrtc-notes 7) and offers only loopback candidates.
type JsSIP struct {
	// LogPath holds the driver's and the page's log.
	LogPath string
	base    string
	proc    *process
	seen    int // events consumed by WaitEvent
}

// JsSIPEvent is one event from the page: registered, incoming, accepted,
// confirmed, ended, failed, dtmf (Digit), hold, unhold.
type JsSIPEvent struct {
	Event string `json:"event"`
	Cause string `json:"cause"`
	Digit string `json:"digit"`
	From  string `json:"from"`
	At    int64  `json:"at"`
}

// JSDir is where scripts/webrtc-js.sh installs jssip, playwright-core and
// esbuild: $SWITCHBOARD_JS_DIR, else ~/.cache/switchboard/webrtc-js.
func JSDir() string {
	if d := os.Getenv("SWITCHBOARD_JS_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "switchboard", "webrtc-js")
}

func driverDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "jssip")
}

// StartJsSIP starts the browser peer, registers it and waits for
// "registered". It is stopped (by process group) in t.Cleanup.
func StartJsSIP(t testing.TB, opt JsSIPOptions) *JsSIP {
	t.Helper()
	node := requireBinary(t, "node", "nodejs")
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing(t, "/usr/bin/chromium not found", "chromium")
	}
	js := JSDir()
	for _, m := range []string{"jssip", "playwright-core", "esbuild"} {
		if _, err := os.Stat(filepath.Join(js, "node_modules", m)); err != nil {
			msg := fmt.Sprintf("npm package %s not found in %s: run scripts/webrtc-js.sh", m, js)
			if testing.Short() {
				t.Skip(msg)
			}
			t.Fatal(msg)
		}
	}
	if opt.ReadyTimeout == 0 {
		opt.ReadyTimeout = 40 * time.Second
	}
	dir := t.TempDir()
	j := &JsSIP{LogPath: filepath.Join(dir, "jssip.log")}
	port := FreePort(t, "tcp")
	j.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	p, err := startProcess("jssip", j.LogPath, dir, node, filepath.Join(driverDir(), "driver.cjs"), fmt.Sprint(port), js, dir)
	if err != nil {
		t.Fatalf("testpeer: start jssip driver: %v", err)
	}
	j.proc = p
	t.Cleanup(func() {
		j.Stop()
		if t.Failed() {
			dumpLog(t, "jssip log", j.LogPath)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), opt.ReadyTimeout)
	defer cancel()
	for {
		if done, err := p.exited(); done {
			dumpLog(t, "jssip log", j.LogPath)
			t.Fatalf("testpeer: jssip driver exited: %v", err)
		}
		if r, err := j.get(ctx, "/health"); err == nil {
			r.Close()
			break
		}
		if ctx.Err() != nil {
			dumpLog(t, "jssip log", j.LogPath)
			t.Fatalf("testpeer: browser not ready within %v", opt.ReadyTimeout)
		}
		time.Sleep(100 * time.Millisecond) // polling the driver's port, bounded by ctx
	}
	if _, err := j.cmd(ctx, map[string]any{"cmd": "start", "cfg": map[string]any{
		"wsURL": opt.WSURL, "uri": opt.URI, "password": opt.Password, "toneHz": opt.ToneHz}}); err != nil {
		t.Fatalf("testpeer: jssip start: %v", err)
	}
	ev, err := j.WaitEvent(ctx, "registered", "registrationFailed")
	if err != nil || ev.Event != "registered" {
		dumpLog(t, "jssip log", j.LogPath)
		t.Fatalf("testpeer: jssip did not register: %v %+v", err, ev)
	}
	return j
}

func (j *JsSIP) get(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", j.base+path, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		res.Body.Close()
		return nil, fmt.Errorf("%s: %s", path, res.Status)
	}
	return res.Body, nil
}

// cmd runs one page command and returns its JSON result.
func (j *JsSIP) cmd(ctx context.Context, c map[string]any) (json.RawMessage, error) {
	b, _ := json.Marshal(c)
	req, err := http.NewRequestWithContext(ctx, "POST", j.base+"/cmd", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	if out.Error != "" {
		return nil, fmt.Errorf("jssip %v: %s", c["cmd"], out.Error)
	}
	return out.Result, nil
}

// WaitEvent waits for the next event whose name is one of names (earlier
// events of other names are skipped).
func (j *JsSIP) WaitEvent(ctx context.Context, names ...string) (JsSIPEvent, error) {
	for {
		ms := 5000
		if dl, ok := ctx.Deadline(); ok {
			ms = max(1, min(ms, int(time.Until(dl)/time.Millisecond)))
		}
		r, err := j.get(ctx, fmt.Sprintf("/events?from=%d&ms=%d", j.seen, ms))
		if err != nil {
			return JsSIPEvent{}, err
		}
		var evs []JsSIPEvent
		err = json.NewDecoder(r).Decode(&evs)
		r.Close()
		if err != nil {
			return JsSIPEvent{}, err
		}
		for _, ev := range evs {
			j.seen++
			for _, n := range names {
				if ev.Event == n {
					return ev, nil
				}
			}
		}
		if ctx.Err() != nil {
			return JsSIPEvent{}, fmt.Errorf("waiting for %v: %w", names, ctx.Err())
		}
	}
}

// Call dials uri from the browser.
func (j *JsSIP) Call(ctx context.Context, uri string) error {
	_, err := j.cmd(ctx, map[string]any{"cmd": "call", "uri": uri})
	return err
}

// Answer answers the ringing call.
func (j *JsSIP) Answer(ctx context.Context) error {
	_, err := j.cmd(ctx, map[string]any{"cmd": "answer"})
	return err
}

// Hold puts the call on hold (re-INVITE with sendonly) or resumes it.
// JsSIP refuses while its previous re-INVITE is in progress (there is no
// event for its end), so Hold retries until accepted or ctx ends.
func (j *JsSIP) Hold(ctx context.Context, on bool) error {
	for {
		raw, err := j.cmd(ctx, map[string]any{"cmd": "hold", "on": on})
		if err != nil {
			return err
		}
		if string(raw) == "true" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("JsSIP did not accept hold=%v: %w", on, ctx.Err())
		case <-time.After(50 * time.Millisecond): // polling JsSIP's readiness, bounded by ctx
		}
	}
}

// Hangup ends the current call.
func (j *JsSIP) Hangup(ctx context.Context) error {
	_, err := j.cmd(ctx, map[string]any{"cmd": "hangup"})
	return err
}

// Listen returns the dominant frequency (100-4000 Hz) of what the browser
// hears now, and its level in dB (WebAudio analyser).
func (j *JsSIP) Listen(ctx context.Context) (hz, db float64, err error) {
	raw, err := j.cmd(ctx, map[string]any{"cmd": "listen"})
	if err != nil {
		return 0, 0, err
	}
	var v struct{ Hz, DB float64 }
	err = json.Unmarshal(raw, &v)
	return v.Hz, v.DB, err
}

// WaitTone polls Listen (bounded by ctx) until the browser hears hz (±25
// Hz) above -70 dB, and returns what it heard last.
func (j *JsSIP) WaitTone(ctx context.Context, hz float64) (got, db float64, err error) {
	for {
		got, db, err = j.Listen(ctx)
		if err == nil && got > hz-25 && got < hz+25 && db > -70 {
			return got, db, nil
		}
		select {
		case <-ctx.Done():
			return got, db, fmt.Errorf("browser did not hear %.0f Hz (last %.0f Hz at %.1f dB, %v): %w", hz, got, db, err, ctx.Err())
		case <-time.After(200 * time.Millisecond): // polling the analyser, bounded by ctx
		}
	}
}

// Stop ends the browser and driver (process group).
func (j *JsSIP) Stop() {
	if j.proc != nil {
		j.proc.stop()
	}
}
