package testpeer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BaresipOptions configures StartBaresip.
type BaresipOptions struct {
	// User and Password are the account's digest credentials (auth user =
	// user part of the AOR); neither may contain ; , < > " or spaces.
	User, Password string
	// Kamailio is the registrar and outbound proxy. If nil, Registrar and
	// Domain must be set (or NoRegister).
	Kamailio *Kamailio
	// Domain of the AOR sip:User@Domain; default Kamailio.Domain.
	Domain string
	// Registrar is the outbound proxy "host:port"; default the Kamailio
	// address of Transport.
	Registrar string
	// Transport is "udp" (default), "tcp" or "tls". For "tls" baresip trusts
	// Kamailio.CAFile (or CAFile).
	Transport string
	// CAFile is the PEM CA for TLS; default Kamailio.CAFile.
	CAFile string
	// ToneHz is the frequency of the sine baresip sends (ausine at 48 kHz
	// stereo); 0 sends silence.
	ToneHz float64
	// Codecs limits the audio codecs offered/accepted, in order, e.g.
	// []string{"PCMU"}. Names: PCMU, PCMA, G722, opus (others as baresip
	// spells them). Default PCMU, PCMA.
	Codecs []string
	// AnswerMode is "manual" (default), "auto" or "early".
	AnswerMode string
	// AutoAnswer is a shortcut for AnswerMode "auto".
	AutoAnswer bool
	// DTMFMode is how DTMF is sent: "" or "rtpevent" (RFC 4733). baresip 1.0
	// cannot send SIP INFO DTMF ("info" fails the test); it does receive
	// both (CALL_DTMF_START events).
	DTMFMode string
	// NoRegister disables REGISTER (regint=0); StartBaresip then does not
	// wait for registration.
	NoRegister bool
	// Regint is the registration interval in seconds (default 600).
	Regint int
	// ReadyTimeout bounds start-up including registration (default 20 s).
	ReadyTimeout time.Duration
	// ExtraConfig lines are appended to the generated config file.
	ExtraConfig []string
	// MediaEnc is the account's media encryption (baresip's srtp module,
	// SDES keying): "srtp" (best effort: RTP/AVP with a=crypto),
	// "srtp-mand" (RTP/SAVP, SRTP required) or "srtp-mandf" (RTP/SAVPF);
	// "" for none.
	MediaEnc string
}

// Baresip is a running baresip 1.0 user agent controlled over ctrl_tcp.
type Baresip struct {
	// AOR is the account's address of record, e.g. "sip:alice@switchboard.test".
	AOR string
	// SIPAddr is baresip's "127.0.0.1:port" (UDP and TCP; TLS listens on
	// port+1); CtrlAddr is the ctrl_tcp address.
	SIPAddr, CtrlAddr string
	// Dir is the config directory (-f); RecDir holds the sndfile WAV dumps;
	// LogPath is baresip's stdout+stderr.
	Dir, RecDir, LogPath string

	opt  BaresipOptions
	proc *process

	conn    net.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	token   int
	pending map[string]chan ctrlResponse
	events  []Event
	used    []bool
	notify  chan struct{}
	readErr error
}

// Event is one ctrl_tcp event from baresip.
type Event struct {
	Type      string         // e.g. "REGISTER_OK", "CALL_INCOMING", "CALL_ESTABLISHED", "CALL_CLOSED", "CALL_DTMF_START"
	Class     string         // "register", "call", ...
	Param     string         // e.g. the DTMF digit, or the close reason
	PeerURI   string         // remote party of a call event
	CallID    string         // baresip's call id ("id")
	Direction string         // "incoming" / "outgoing"
	AOR       string         // "accountaor"
	Raw       map[string]any // the whole decoded JSON object
	At        time.Time      // when it was read
}

type ctrlResponse struct {
	ok   bool
	data string
}

var codecModules = map[string]string{
	"pcmu": "g711.so", "pcma": "g711.so", "g722": "g722.so", "opus": "opus.so",
	"l16": "l16.so", "gsm": "gsm.so", "g726": "g726.so", "amr": "amr.so",
	"codec2": "codec2.so", "mpa": "mpa.so",
}

// baresipModuleDir is where the Debian package installs baresip modules.
func baresipModuleDir() string {
	for _, d := range []string{"/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules", "/usr/lib64/baresip/modules"} {
		if _, err := os.Stat(filepath.Join(d, "ctrl_tcp.so")); err == nil {
			return d
		}
	}
	return ""
}

// StartBaresip writes a config directory, starts baresip (exec'd directly,
// no shell, in its own process group), connects to its ctrl_tcp socket and,
// unless NoRegister, waits until the account is registered. It is stopped
// in t.Cleanup.
func StartBaresip(t testing.TB, opt BaresipOptions) *Baresip {
	t.Helper()
	bin := requireBinary(t, "baresip", "baresip-core")
	mdir := baresipModuleDir()
	if mdir == "" {
		missing(t, "baresip modules (ctrl_tcp.so) not found", "baresip-core")
	}
	if opt.User == "" {
		t.Fatal("testpeer: BaresipOptions.User is empty")
	}
	if strings.ContainsAny(opt.User+opt.Password, ";,<>\" \t\r\n") {
		t.Fatalf("testpeer: baresip 1.0 account lines cannot carry ; , < > \" or spaces in user or password")
	}
	if opt.Transport == "" {
		opt.Transport = "udp"
	}
	opt.Transport = strings.ToLower(opt.Transport)
	if k := opt.Kamailio; k != nil {
		if opt.Domain == "" {
			opt.Domain = k.Domain
		}
		if opt.Registrar == "" {
			opt.Registrar = k.Addr(opt.Transport)
		}
		if opt.CAFile == "" {
			opt.CAFile = k.CAFile
		}
	}
	if opt.Domain == "" {
		opt.Domain = "switchboard.test"
	}
	if opt.Registrar == "" && !opt.NoRegister {
		t.Fatal("testpeer: BaresipOptions needs Kamailio or Registrar (or NoRegister)")
	}
	if opt.AutoAnswer {
		opt.AnswerMode = "auto"
	}
	if opt.AnswerMode == "" {
		opt.AnswerMode = "manual"
	}
	switch strings.ToLower(opt.DTMFMode) {
	case "", "rtpevent", "rfc4733", "rfc2833":
	default:
		t.Fatalf("testpeer: baresip 1.0 can only send DTMF as rtpevent, not %q", opt.DTMFMode)
	}
	switch opt.MediaEnc {
	case "", "srtp", "srtp-mand", "srtp-mandf":
	default:
		t.Fatalf("testpeer: baresip MediaEnc %q is not srtp, srtp-mand or srtp-mandf", opt.MediaEnc)
	}
	if len(opt.Codecs) == 0 {
		opt.Codecs = []string{"PCMU", "PCMA"}
	}
	if opt.Regint == 0 {
		opt.Regint = 600
	}
	if opt.NoRegister {
		opt.Regint = 0
	}
	if opt.ReadyTimeout == 0 {
		opt.ReadyTimeout = 20 * time.Second
	}

	dir := t.TempDir()
	b := &Baresip{
		AOR:     fmt.Sprintf("sip:%s@%s", opt.User, opt.Domain),
		Dir:     dir,
		RecDir:  filepath.Join(dir, "rec"),
		LogPath: filepath.Join(dir, "baresip.log"),
		opt:     opt,
		pending: map[string]chan ctrlResponse{},
		notify:  make(chan struct{}),
	}
	if err := os.MkdirAll(b.RecDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			dumpLog(t, "baresip "+b.AOR+" log", b.LogPath)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), opt.ReadyTimeout)
	defer cancel()
	// Free ports are picked before baresip binds them, so another process
	// can take one in between (seen: ctrl_tcp's port became another test's
	// SIP listener). baresip then runs on without that socket, so look for
	// its bind errors and start again on fresh ports.
	for attempt := 1; ; attempt++ {
		sipPort := freeBaresipPort(t)
		ctrlPort := FreePort(t, "tcp")
		b.SIPAddr = fmt.Sprintf("127.0.0.1:%d", sipPort)
		b.CtrlAddr = fmt.Sprintf("127.0.0.1:%d", ctrlPort)
		if err := b.writeConfig(mdir); err != nil {
			t.Fatalf("testpeer: baresip config: %v", err)
		}
		_ = os.Remove(b.LogPath) // judge this attempt by its own log
		p, err := startProcess("baresip", b.LogPath, dir, bin, "-f", dir, "-v")
		if err != nil {
			t.Fatalf("testpeer: start baresip: %v", err)
		}
		b.proc = p
		// baresip logs "baresip is ready" after every module has tried to
		// bind; only then is the absence of a bind error meaningful.
		for !logHas(b.LogPath, "baresip is ready") && ctx.Err() == nil {
			if done, _ := p.exited(); done {
				break
			}
			time.Sleep(20 * time.Millisecond) // polling a log file, bounded by ctx
		}
		if logHas(b.LogPath, "Address already in use") && attempt < 3 {
			t.Logf("testpeer: baresip %s lost a port race (attempt %d); starting again", b.AOR, attempt)
			b.proc.stop()
			continue
		}
		if err := b.connect(ctx); err != nil {
			t.Fatalf("testpeer: baresip %s ctrl_tcp: %v", b.AOR, err)
		}
		break
	}
	if !opt.NoRegister {
		if err := b.WaitRegistered(ctx); err != nil {
			t.Fatalf("testpeer: baresip %s: %v", b.AOR, err)
		}
	}
	return b
}

// logHas reports whether the log file contains s.
func logHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

// freeBaresipPort picks a port free for UDP+TCP whose successor is free for
// TCP (baresip 1.0 listens for TLS on sip_listen port + 1).
func freeBaresipPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		p := FreePort(t, "udp+tcp")
		if l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", p+1)); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("testpeer: no free port pair for baresip")
	return 0
}

func (b *Baresip) writeConfig(mdir string) error {
	o := b.opt
	mods := []string{}
	seen := map[string]bool{}
	for _, c := range o.Codecs {
		name := strings.ToLower(strings.SplitN(c, "/", 2)[0])
		if strings.HasPrefix(name, "g726") {
			name = "g726"
		}
		m, ok := codecModules[name]
		if !ok {
			return fmt.Errorf("unknown codec %q", c)
		}
		if !seen[m] {
			seen[m] = true
			mods = append(mods, m)
		}
	}
	var c strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	w("# generated by switchboard/internal/testpeer for baresip 1.0")
	w("poll_method epoll")
	w("sip_listen %s", b.SIPAddr)
	if o.CAFile != "" {
		w("sip_cafile %s", o.CAFile)
	}
	w("call_local_timeout 120")
	w("call_max_calls 4")
	// ausine only runs at 48 kHz stereo (webrtc-notes 22).
	w("audio_source ausine,%d", int(o.ToneHz+0.5))
	// aubridge with no matching source never runs a playback thread;
	// ALSA's "null" device never blocks, so its player thread spun a whole
	// core per baresip (measured by internal/bench). What baresip receives
	// is still decoded and dumped by sndfile below.
	w("audio_player aubridge,nowhere")
	w("audio_alert aubridge,nowhere")
	w("ausrc_srate 48000")
	w("ausrc_channels 2")
	w("audio_buffer 20-160")
	w("audio_level no")
	w("ausrc_format s16")
	w("auplay_format s16")
	w("auenc_format s16")
	w("audec_format s16")
	w("rtcp_mux no")
	w("jitter_buffer_delay 1-10")
	w("rtp_stats no")
	w("net_interface 127.0.0.1")
	w("dns_server 127.0.0.1:53")
	w("module_path %s", mdir)
	for _, m := range mods {
		w("module %s", m)
	}
	w("module ausine.so")
	w("module aubridge.so")
	if o.MediaEnc != "" {
		w("module srtp.so")
	}
	// sndfile is an audio filter: it dumps each stream's encoded (sent) and
	// decoded (received) audio to snd_path/dump-<time>-{enc,dec}.wav.
	w("module sndfile.so")
	w("snd_path %s", b.RecDir)
	w("module_tmp uuid.so")
	w("module_tmp account.so")
	w("module_app menu.so")
	w("module_app ctrl_tcp.so")
	w("ctrl_tcp_listen %s", b.CtrlAddr)
	w("ringback_disabled yes")
	w("menu_bell no")
	w("redial_attempts 0")
	w("statmode_default off")
	for _, l := range o.ExtraConfig {
		w("%s", l)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config"), []byte(c.String()), 0o644); err != nil {
		return err
	}

	tr := o.Transport
	acc := fmt.Sprintf("<%s;transport=%s>", b.AOR, tr)
	if o.Password != "" {
		acc += ";auth_pass=" + o.Password
	}
	if o.Registrar != "" {
		acc += fmt.Sprintf(`;outbound="sip:%s;transport=%s"`, o.Registrar, tr)
	}
	acc += ";answermode=" + o.AnswerMode
	acc += ";audio_codecs=" + strings.Join(o.Codecs, ",")
	acc += ";regint=" + strconv.Itoa(o.Regint)
	acc += ";ptime=20"
	if o.MediaEnc != "" {
		acc += ";mediaenc=" + o.MediaEnc
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "accounts"), []byte(acc+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.Dir, "contacts"), nil, 0o644)
}

// connect dials ctrl_tcp until it accepts or ctx ends.
func (b *Baresip) connect(ctx context.Context) error {
	var d net.Dialer
	for {
		if done, err := b.proc.exited(); done {
			return fmt.Errorf("baresip exited: %v", err)
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(cctx, "tcp4", b.CtrlAddr)
		cancel()
		if err == nil {
			b.conn = c
			go b.readLoop(c)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%v (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readNetstring reads one "len:data," frame.
func readNetstring(r *bufio.Reader) ([]byte, error) {
	lenStr, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
	if err != nil || n < 0 || n > 1<<24 {
		return nil, fmt.Errorf("bad netstring length %q", lenStr)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if buf[n] != ',' {
		return nil, errors.New("netstring without trailing comma")
	}
	return buf[:n], nil
}

func (b *Baresip) readLoop(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		msg, err := readNetstring(r)
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for k, ch := range b.pending {
				close(ch)
				delete(b.pending, k)
			}
			b.wake()
			b.mu.Unlock()
			return
		}
		var m map[string]any
		if json.Unmarshal(msg, &m) != nil {
			continue
		}
		str := func(k string) string {
			switch v := m[k].(type) {
			case string:
				return v
			case nil:
				return ""
			default:
				return fmt.Sprint(v)
			}
		}
		b.mu.Lock()
		if m["response"] == true {
			if ch, ok := b.pending[str("token")]; ok {
				delete(b.pending, str("token"))
				ch <- ctrlResponse{ok: m["ok"] == true, data: str("data")}
			}
		} else if m["event"] == true {
			b.events = append(b.events, Event{
				Type: str("type"), Class: str("class"), Param: str("param"),
				PeerURI: str("peeruri"), CallID: str("id"), Direction: str("direction"),
				AOR: str("accountaor"), Raw: m, At: time.Now(),
			})
			b.used = append(b.used, false)
			b.wake()
		}
		b.mu.Unlock()
	}
}

// wake signals waiters; b.mu must be held.
func (b *Baresip) wake() {
	close(b.notify)
	b.notify = make(chan struct{})
}

// Command runs a baresip command over ctrl_tcp (the long names of the menu
// module: "dial", "accept", "hangup", "sndcode", "reginfo", "listcalls",
// "answermode", ...) with params and returns its text output.
func (b *Baresip) Command(ctx context.Context, command, params string) (string, error) {
	b.mu.Lock()
	if b.readErr != nil {
		err := b.readErr
		b.mu.Unlock()
		return "", fmt.Errorf("ctrl_tcp closed: %w", err)
	}
	b.token++
	tok := strconv.Itoa(b.token)
	ch := make(chan ctrlResponse, 1)
	b.pending[tok] = ch
	b.mu.Unlock()
	req := map[string]string{"command": command, "token": tok}
	if params != "" {
		req["params"] = params
	}
	js, _ := json.Marshal(req)
	frame := fmt.Sprintf("%d:%s,", len(js), js)
	b.wmu.Lock()
	if dl, ok := ctx.Deadline(); ok {
		b.conn.SetWriteDeadline(dl)
	} else {
		b.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	}
	_, err := io.WriteString(b.conn, frame)
	b.wmu.Unlock()
	if err != nil {
		return "", err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return "", errors.New("ctrl_tcp connection closed")
		}
		if !r.ok {
			return r.data, fmt.Errorf("baresip command %q %q failed: %s", command, params, strings.TrimSpace(r.data))
		}
		return r.data, nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, tok)
		b.mu.Unlock()
		return "", ctx.Err()
	}
}

// WaitEvent returns the first event, received since the ctrl_tcp
// connection was made and not yet returned by an earlier WaitEvent, for
// which match returns true, waiting for it until ctx ends. Events that do
// not match stay available to later calls.
func (b *Baresip) WaitEvent(ctx context.Context, match func(Event) bool) (Event, error) {
	for {
		b.mu.Lock()
		for i, e := range b.events {
			if !b.used[i] && match(e) {
				b.used[i] = true
				b.mu.Unlock()
				return e, nil
			}
		}
		notify, rerr := b.notify, b.readErr
		b.mu.Unlock()
		if rerr != nil {
			return Event{}, fmt.Errorf("ctrl_tcp closed: %w", rerr)
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("waiting for baresip %s event: %w (seen: %s)", b.AOR, ctx.Err(), b.eventTypes())
		}
	}
}

// WaitEventType waits for an event of type typ (see WaitEvent).
func (b *Baresip) WaitEventType(ctx context.Context, typ string) (Event, error) {
	return b.WaitEvent(ctx, func(e Event) bool { return e.Type == typ })
}

// Events returns a copy of all events received so far.
func (b *Baresip) Events() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Event(nil), b.events...)
}

func (b *Baresip) eventTypes() string {
	var s []string
	for _, e := range b.Events() {
		s = append(s, e.Type)
	}
	return strings.Join(s, ",")
}

// WaitRegistered waits until the account is registered: a REGISTER_OK
// event or "OK" in the reginfo output (registration may finish before
// ctrl_tcp is connected). REGISTER_FAIL is returned as an error.
func (b *Baresip) WaitRegistered(ctx context.Context) error {
	for {
		b.mu.Lock()
		for _, e := range b.events {
			if e.Type == "REGISTER_OK" {
				b.mu.Unlock()
				return nil
			}
		}
		var fail *Event
		for i := range b.events {
			if b.events[i].Type == "REGISTER_FAIL" {
				fail = &b.events[i]
			}
		}
		notify := b.notify
		b.mu.Unlock()
		if fail != nil {
			return fmt.Errorf("registration failed: %s", fail.Param)
		}
		out, err := b.Command(ctx, "reginfo", "")
		if err == nil && regOK(out) {
			return nil
		}
		select {
		case <-notify:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("not registered: %w (reginfo: %q, events: %s)", ctx.Err(), out, b.eventTypes())
		}
	}
}

// regOK reports whether reginfo output shows a registered UA.
func regOK(out string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "sip:") && strings.Contains(l, "OK") {
			return true
		}
	}
	return false
}

// Dial calls uri ("sip:bob@switchboard.test").
func (b *Baresip) Dial(ctx context.Context, uri string) error {
	_, err := b.Command(ctx, "dial", uri)
	return err
}

// Answer accepts the current incoming call.
func (b *Baresip) Answer(ctx context.Context) error {
	_, err := b.Command(ctx, "accept", "")
	return err
}

// Hangup ends the current call.
func (b *Baresip) Hangup(ctx context.Context) error {
	_, err := b.Command(ctx, "hangup", "")
	return err
}

// SendDTMF sends digits (0-9, *, #, A-D) on the current call as RFC 4733
// telephone-events (menu command "sndcode").
func (b *Baresip) SendDTMF(ctx context.Context, digits string) error {
	_, err := b.Command(ctx, "sndcode", digits)
	return err
}

// ReceivedWAV returns the path of the newest WAV file holding the audio
// baresip received and decoded (sndfile's "...-dec.wav"), or "" if none.
// The file is written while the call runs; its header sizes are only
// final after the call ends (ReadWAV copes with both).
func (b *Baresip) ReceivedWAV() string { return b.newestDump("dec") }

// WaitReceived waits until the newest received-audio WAV holds at least d
// of audio and returns it read (see ReadWAV).
func (b *Baresip) WaitReceived(ctx context.Context, d time.Duration) (*WAV, error) {
	var last error
	for {
		if p := b.ReceivedWAV(); p != "" {
			w, err := ReadWAV(p)
			if err == nil && w.Duration() >= d {
				return w, nil
			}
			last = err
			if err == nil {
				last = fmt.Errorf("%s holds %v", p, w.Duration())
			}
		} else {
			last = fmt.Errorf("no *dec*.wav in %s yet", b.RecDir)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("baresip %s: waiting for %v of received audio: %w (%v)", b.AOR, d, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// SentWAV returns the newest WAV of what baresip encoded and sent ("enc").
func (b *Baresip) SentWAV() string { return b.newestDump("enc") }

func (b *Baresip) newestDump(kind string) string {
	m, _ := filepath.Glob(filepath.Join(b.RecDir, "*"+kind+"*.wav"))
	if len(m) == 0 {
		return ""
	}
	sort.Slice(m, func(i, j int) bool {
		fi, _ := os.Stat(m[i])
		fj, _ := os.Stat(m[j])
		if fi == nil || fj == nil {
			return m[i] < m[j]
		}
		if !fi.ModTime().Equal(fj.ModTime()) {
			return fi.ModTime().Before(fj.ModTime())
		}
		return m[i] < m[j]
	})
	return m[len(m)-1]
}

// Stop stops baresip (SIGTERM to its process group, SIGKILL after
// StopTimeout). It is also called by t.Cleanup.
func (b *Baresip) Stop() {
	if b.conn != nil {
		b.conn.Close()
	}
	b.proc.stop()
}
