// Package cli is Switchboard's headless front end for automation, support
// scripts and tests. It reads line commands on stdin and writes one JSON
// object per line on stdout, each with an "event" field. The interface is
// stable and documented in the README and in Usage.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"switchboard/phone"
)

// Usage is printed by --help.
const Usage = `usage: switchboard cli [flags]

Runs the phone core without a window. Without --aor it works in direct-IP
mode: it listens on --listen and calls sip:user@host:port addresses.

Flags:
  --aor URI            account address, e.g. sip:alice@example.com
  --auth-user NAME     digest user name (default: the AOR user)
  --registrar URI      registrar (default: the AOR domain)
  --proxy URI          outbound proxy
  --transport T        udp, tcp or tls (default udp)
  --ca FILE            extra CA certificate (PEM) to trust for TLS
  --expiry SECONDS     registration lifetime to ask for (default 600)
  --listen HOST:PORT   local SIP address (default 127.0.0.1:5060; port 0 = any)
  --mic-wav FILE       send this 16-bit PCM WAV (any rate), looped, instead of the microphone
  --record-wav FILE    write the audio we receive to this WAV file (8 kHz mono)
  --record-dir DIR     where "record on" saves call recordings (default: ~/Music/Recordings
                       if ~/Music exists, else ~/Switchboard Recordings)
  --null-audio         no sound card: silence in, audio discarded
  --no-aec             no echo cancellation or noise suppression on the sound card
  --auto-answer        answer every incoming call at once
  --stats SECONDS      emit a "stats" event per call this often (default 0: off)
  --trace              log SIP messages (Authorization redacted) to stderr
  --keepalive SECONDS  keep-alive period towards the registrar (default 25)
  --codecs LIST        codec preference, e.g. opus,G722,PCMU,PCMA (the default)
  --park CODE          where "park" sends a call (park extension or feature code, e.g. *700)

The password comes from $SWITCHBOARD_PASSWORD, else from the system keyring.

Commands on stdin (the optional last word is a call id when several calls exist):
  dial URI | answer | decline | busy | hangup | hold | unhold | mute | unmute |
  dtmf DIGITS | info DIGITS (DTMF by SIP INFO) | stats |
  record on|off (stereo WAV: us left, them right) |
  output ID | input ID (switch the sound device mid-call; "default" = system default) |
  transfer URI (blind) | consult URI, then complete or cancel (attended) | flip URI (move the
  call to another of my devices) | park | merge | split [call] (local conference) |
  voicemail | forward URI | reply TEXT (a ringing call; reply on RingCentral) |
  srecord on|off (recording on the RingCentral server) | quit

Events on stdout, one JSON object per line:
  registering, registered, reg_failed {reason}, unregistered, incoming {call, from},
  dialing {call}, ringing {call}, answered {call, codec}, held, resumed, remote_hold {hold},
  dtmf {call, digit}, ended {call, cause, reason}, stats {call, ...}, message, error {message},
  recording {call, recording, path, message} (on start, and when the file is complete),
  audio_device {message}, consulting {call, target},
  transfer|flip|park {call, kind, state: consulting|trying|ringing|done|failed|cancelled,
  target, reason, code, extension}, conference {calls}
"quit" unregisters and exits 0.
`

// Options are the parsed flags.
type Options struct {
	AOR, AuthUser, Registrar, Proxy, Transport, CAFile string
	Expiry                                             int
	Listen, MicWAV, RecordWAV, RecordDir, ParkCode     string
	NullAudio, AutoAnswer, Trace, NoAEC                bool
	Codecs                                             []string // preference order; empty: the default
	StatsEvery, KeepAlive                              int
}

// Parse reads cli flags. It returns flag.ErrHelp for --help.
func Parse(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("switchboard cli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage) }
	fs.StringVar(&o.AOR, "aor", "", "")
	fs.StringVar(&o.AuthUser, "auth-user", "", "")
	fs.StringVar(&o.Registrar, "registrar", "", "")
	fs.StringVar(&o.Proxy, "proxy", "", "")
	fs.StringVar(&o.Transport, "transport", "udp", "")
	fs.StringVar(&o.CAFile, "ca", "", "")
	fs.IntVar(&o.Expiry, "expiry", 0, "")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:5060", "")
	fs.StringVar(&o.MicWAV, "mic-wav", "", "")
	fs.StringVar(&o.RecordWAV, "record-wav", "", "")
	fs.StringVar(&o.RecordDir, "record-dir", "", "")
	fs.StringVar(&o.ParkCode, "park", "", "")
	fs.BoolVar(&o.NoAEC, "no-aec", false, "")
	fs.BoolVar(&o.NullAudio, "null-audio", false, "")
	fs.BoolVar(&o.AutoAnswer, "auto-answer", false, "")
	fs.BoolVar(&o.Trace, "trace", false, "")
	fs.IntVar(&o.StatsEvery, "stats", 0, "")
	fs.IntVar(&o.KeepAlive, "keepalive", 0, "")
	fs.Func("codecs", "", func(v string) error {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				o.Codecs = append(o.Codecs, c)
			}
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if o.RecordDir == "" {
		o.RecordDir = DefaultRecordDir()
	}
	return o, nil
}

// DefaultRecordDir is where call recordings go unless the user says
// otherwise: ~/Music/Recordings when ~/Music exists, else
// ~/Switchboard Recordings ("" without a home directory).
func DefaultRecordDir() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(home, "Music")); err == nil && fi.IsDir() {
		return filepath.Join(home, "Music", "Recordings")
	}
	return filepath.Join(home, "Switchboard Recordings")
}

// Account turns the flags into an account, or nil in direct-IP mode.
func (o Options) Account() (*phone.Account, error) {
	if o.AOR == "" {
		return nil, nil
	}
	a := phone.Account{ID: "cli", AOR: o.AOR, AuthUser: o.AuthUser, Registrar: o.Registrar,
		OutboundProxy: o.Proxy, Transport: phone.Transport(strings.ToLower(o.Transport)), CAFile: o.CAFile,
		Expiry: time.Duration(o.Expiry) * time.Second, Enabled: true, ParkCode: o.ParkCode}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

// Core is what the cli drives: the phone core's commands.
type Core interface {
	Subscribe(ctx context.Context) (phone.Snapshot, <-chan phone.Event)
	SetAccount(acct phone.Account, password string) error
	RemoveAccount(id string) error
	Dial(accountID, target string) (phone.CallID, error)
	Answer(id phone.CallID) error
	Decline(id phone.CallID, busy bool) error
	Hangup(id phone.CallID) error
	Hold(id phone.CallID) error
	Resume(id phone.CallID) error
	Mute(id phone.CallID, on bool) error
	SendDTMF(id phone.CallID, digits string, info bool) error
	CallStats(id phone.CallID) (phone.CallStats, error)
	Record(id phone.CallID, on bool) error
	SwitchAudioDevice(capture bool, id string) error
	Transfer(id phone.CallID, target string) error
	Consult(id phone.CallID, target string) (phone.CallID, error)
	CompleteTransfer(id phone.CallID) error
	CancelTransfer(id phone.CallID) error
	Flip(id phone.CallID, device string) error
	Park(id phone.CallID) error
	Merge() error
	Split(id phone.CallID) error
	SendToVoicemail(id phone.CallID) error
	Forward(id phone.CallID, target string) error
	ReplyText(id phone.CallID, text string) error
	ServerRecord(id phone.CallID, on bool) error
}

// Writer prints events as JSON lines; safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{enc: json.NewEncoder(w)} }

// Emit writes one event object.
func (w *Writer) Emit(kind string, fields map[string]any) {
	m := map[string]any{"event": kind}
	for k, v := range fields {
		m[k] = v
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.enc.Encode(m)
}

// EventFields renders a core Event for the cli.
func EventFields(ev phone.Event) map[string]any {
	f := map[string]any{}
	if c := ev.Call; c != nil {
		f["call"] = string(c.ID)
		f["state"] = c.State.String()
		if c.Peer != "" {
			f["peer"] = c.Peer
		}
		switch ev.Kind {
		case phone.EvAnswered:
			f["codec"] = c.Codec
		case phone.EvEnded:
			f["cause"] = string(c.Cause)
			f["reason"] = c.Reason
		case phone.EvRemoteHold:
			f["hold"] = c.RemoteHold
		case phone.EvIncoming:
			f["from"] = c.Peer
			if c.PeerName != "" {
				f["name"] = c.PeerName
			}
		case phone.EvRinging:
			f["early_media"] = c.EarlyMedia
		case phone.EvMuted:
			f["muted"] = c.Muted
		case phone.EvRecording:
			f["recording"] = c.Recording
		}
	}
	if r := ev.Reg; r != nil {
		f["account"] = r.AccountID
		f["reason"] = r.Reason
		if r.Code != 0 {
			f["code"] = r.Code
		}
		if !r.Expires.IsZero() {
			f["expires_in"] = int(time.Until(r.Expires).Seconds() + 0.5)
		}
	}
	if ev.Digit != "" {
		f["digit"] = ev.Digit
	}
	if ev.Message != "" {
		f["message"] = ev.Message
	}
	if ev.Path != "" {
		f["path"] = ev.Path
	}
	if s := ev.Stats; s != nil {
		statsFields(f, *s)
	}
	if x := ev.Transfer; x != nil {
		// transfer/flip/park: the call's own state is in "call_state".
		if st, ok := f["state"]; ok {
			f["call_state"] = st
		}
		f["state"] = x.State
		f["kind"] = x.Kind
		f["target"] = x.Target
		if x.Reason != "" {
			f["reason"] = x.Reason
		}
		if x.Code != 0 {
			f["code"] = x.Code
		}
		if x.Consult != "" {
			f["consult"] = string(x.Consult)
		}
		if x.Extension != "" {
			f["extension"] = x.Extension
		}
	}
	if ev.Kind == phone.EvConference {
		calls := make([]string, 0, len(ev.Conference))
		for _, id := range ev.Conference {
			calls = append(calls, string(id))
		}
		f["calls"] = calls
	}
	return f
}

func statsFields(f map[string]any, s phone.CallStats) {
	f["codec"] = s.Codec
	f["packets_sent"] = s.PacketsSent
	f["packets_received"] = s.PacketsReceived
	f["packets_lost"] = s.PacketsLost
	f["jitter_ms"] = s.JitterMs
	f["remote"] = s.RemoteAddr
	f["srtp"] = s.SRTP
	f["jitter_buffer_ms"] = s.JitterBufferMs
	f["mos"] = s.MOS
}

// Run drives core from in until quit, EOF or ctx end. acct may be nil
// (direct IP). It returns nil on quit.
func Run(ctx context.Context, core Core, acct *phone.Account, password string, in io.Reader, out *Writer, log *slog.Logger) error {
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, events := core.Subscribe(subCtx)
	var evDone sync.WaitGroup
	evDone.Add(1)
	go func() {
		defer evDone.Done()
		for ev := range events {
			out.Emit(string(ev.Kind), EventFields(ev))
		}
	}()
	accountID := ""
	if acct != nil {
		accountID = acct.ID
		if err := core.SetAccount(*acct, password); err != nil {
			out.Emit("error", map[string]any{"message": err.Error()})
			return err
		}
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-subCtx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel()
		evDone.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case line, ok := <-lines:
			if !ok {
				return nil // EOF: the caller stops the core
			}
			quit, err := command(core, accountID, line, out)
			if err != nil {
				out.Emit("error", map[string]any{"message": err.Error()})
			}
			if quit {
				return nil
			}
		}
	}
}

// command executes one stdin line.
func command(core Core, accountID, line string, out *Writer) (quit bool, err error) {
	w := strings.Fields(line)
	if len(w) == 0 {
		return false, nil
	}
	verb, args := strings.ToLower(w[0]), w[1:]
	id := func(max int) phone.CallID {
		if len(args) > max {
			return phone.CallID(args[len(args)-1])
		}
		return ""
	}
	switch verb {
	case "quit", "exit":
		return true, nil
	case "dial", "call":
		if len(args) != 1 {
			return false, errors.New("usage: dial URI")
		}
		cid, err := core.Dial(accountID, args[0])
		if err != nil {
			return false, fmt.Errorf("dial %s: %w", args[0], err)
		}
		_ = cid
		return false, nil
	case "answer":
		return false, core.Answer(id(0))
	case "decline":
		return false, core.Decline(id(0), false)
	case "busy":
		return false, core.Decline(id(0), true)
	case "hangup", "bye":
		return false, core.Hangup(id(0))
	case "hold":
		return false, core.Hold(id(0))
	case "unhold", "resume":
		return false, core.Resume(id(0))
	case "mute":
		return false, core.Mute(id(0), true)
	case "unmute":
		return false, core.Mute(id(0), false)
	case "dtmf", "info":
		if len(args) < 1 {
			return false, fmt.Errorf("usage: %s DIGITS [call]", verb)
		}
		return false, core.SendDTMF(id(1), args[0], verb == "info")
	case "record":
		if len(args) < 1 || (args[0] != "on" && args[0] != "off") {
			return false, errors.New("usage: record on|off [call]")
		}
		return false, core.Record(id(1), args[0] == "on")
	case "output", "input":
		if len(args) != 1 {
			return false, fmt.Errorf("usage: %s DEVICE-ID|default", verb)
		}
		dev := args[0]
		if dev == "default" {
			dev = ""
		}
		return false, core.SwitchAudioDevice(verb == "input", dev)
	case "transfer", "consult", "flip":
		if len(args) < 1 {
			return false, fmt.Errorf("usage: %s URI|NUMBER [call]", verb)
		}
		switch verb {
		case "transfer":
			return false, core.Transfer(id(1), args[0])
		case "flip":
			return false, core.Flip(id(1), args[0])
		}
		kid, err := core.Consult(id(1), args[0])
		if err == nil {
			out.Emit("consulting", map[string]any{"call": string(kid), "target": args[0]})
		}
		return false, err
	case "voicemail":
		return false, core.SendToVoicemail(id(0))
	case "forward":
		if len(args) < 1 {
			return false, errors.New("usage: forward URI|NUMBER [call]")
		}
		return false, core.Forward(id(1), args[0])
	case "reply":
		if len(args) < 1 {
			return false, errors.New("usage: reply TEXT (RingCentral; the text is read to the caller)")
		}
		return false, core.ReplyText("", strings.Join(args, " "))
	case "srecord":
		if len(args) < 1 || (args[0] != "on" && args[0] != "off") {
			return false, errors.New("usage: srecord on|off [call] (recording on the RingCentral server)")
		}
		return false, core.ServerRecord(id(1), args[0] == "on")
	case "complete":
		return false, core.CompleteTransfer(id(0))
	case "cancel":
		return false, core.CancelTransfer(id(0))
	case "park":
		return false, core.Park(id(0))
	case "merge":
		return false, core.Merge()
	case "split":
		return false, core.Split(id(0))
	case "stats":
		st, err := core.CallStats(id(0))
		if err != nil {
			return false, err
		}
		f := map[string]any{}
		statsFields(f, st)
		out.Emit("stats", f)
		return false, nil
	}
	return false, fmt.Errorf("unknown command %q (try: dial, answer, decline, busy, hangup, hold, unhold, mute, unmute, dtmf, info, record, transfer, consult, complete, cancel, flip, park, merge, split, voicemail, forward, reply, srecord, input, output, stats, quit)", verb)
}

// Password returns the account password from $SWITCHBOARD_PASSWORD, else
// from lookup (the keyring), else "".
func Password(accountID string, lookup func(string) (string, error)) string {
	if pw, ok := os.LookupEnv("SWITCHBOARD_PASSWORD"); ok {
		return pw
	}
	if lookup != nil {
		if pw, err := lookup(accountID); err == nil {
			return pw
		}
	}
	return ""
}
