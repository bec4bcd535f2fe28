// Command switchboard is a desktop softphone. With no arguments it opens the
// window; with a sip:, sips:, tel: or callto: link it also calls it (handing
// the link to the already running window, if any; see launch.go);
// "switchboard cli" runs the headless front end (see app/cli).
//
// main.go is the composition root: the only place that sees every layer
// (phone core, SIP backend, sound device, keyring, UI).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"switchboard/app"
	"switchboard/app/cli"
	"switchboard/audio"
	"switchboard/audio/device"
	"switchboard/audio/record"
	"switchboard/audio/resample"
	"switchboard/audio/tone"
	"switchboard/audio/wavfile"
	"switchboard/phone"
	"switchboard/phone/media"
	"switchboard/phone/sip"
	"switchboard/phone/webrtc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "cli" {
		err = runCLI(ctx, os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = runDesktop(ctx, os.Args[1:], newLogger(os.Stderr, os.Getenv("SWITCHBOARD_DEBUG") != ""))
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

// newLogger returns the process logger on stderr.
func newLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// callAudio is a phone.Audio made of an explicit source and sink.
type callAudio struct {
	src  audio.Source
	sink audio.Sink
}

func (a callAudio) Source() audio.Source { return a.src }
func (a callAudio) Sink() audio.Sink     { return a.sink }

// openCLIAudio builds the cli's audio: WAV files and/or the sound device
// (the null backend with --null-audio). The returned func closes it all.
func openCLIAudio(ctx context.Context, o cli.Options, log *slog.Logger, onLost func(device.Lost)) (phone.Audio, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	a := callAudio{}
	if o.MicWAV != "" {
		src, err := wavfile.Open(o.MicWAV, true)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, func() { src.Close() })
		a.src = src
	}
	if o.RecordWAV != "" {
		sink, err := wavfile.Create(o.RecordWAV, audio.Mono8k)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		closers = append(closers, func() { sink.Close() })
		a.sink = sink
	}
	if a.src == nil || a.sink == nil {
		st, err := device.Open(ctx, device.Config{Format: audio.Mono48k, Null: o.NullAudio, Logger: log, OnLost: onLost})
		if err != nil {
			if o.NullAudio {
				closeAll()
				return nil, nil, err
			}
			log.Warn("no sound device, using silence", "err", err)
			if a.src == nil {
				a.src = audio.Silence{F: audio.Mono8k}
			}
			if a.sink == nil {
				a.sink = audio.Discard{F: audio.Mono8k}
			}
			return a, closeAll, nil
		}
		closers = append(closers, func() { st.Close() })
		if a.src == nil && a.sink == nil {
			// The stream itself (through echo cancellation and noise
			// suppression unless --no-aec), so "input"/"output" can switch
			// its devices.
			if o.NullAudio || o.NoAEC {
				return st, closeAll, nil
			}
			return newProcessedAudio(ctx, st, true, true, log), closeAll, nil
		}
		if a.src == nil {
			a.src = st.Source()
		}
		if a.sink == nil {
			a.sink = st.Sink()
		}
	}
	return a, closeAll, nil
}

// openRecorder starts a call recording (phone.Config.OpenRecorder).
func openRecorder(path string) (phone.Recorder, error) { return record.Create(path) }

// reportLost tells the core (once it exists) that the system took a sound
// device away and what the stream did about it.
func reportLost(core *atomic.Pointer[phone.Phone], l device.Lost) {
	c := core.Load()
	if c == nil {
		return
	}
	if l.Err != nil {
		c.ReportAudioDevice("sound device stopped and the system default could not be opened: " + l.Err.Error())
		return
	}
	c.ReportAudioDevice("sound device stopped (unplugged?); now using the system default")
}

// runCLI runs the headless front end until quit, EOF or a signal.
func runCLI(ctx context.Context, args []string, in io.Reader, stdout, stderr io.Writer) error {
	o, err := cli.Parse(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, o.Trace)
	acct, err := o.Account()
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	out := cli.NewWriter(stdout)
	var corePtr atomic.Pointer[phone.Phone] // for device-loss reports from the sound device
	au, closeAudio, err := openCLIAudio(ctx, o, log, func(l device.Lost) { reportLost(&corePtr, l) })
	if err != nil {
		out.Emit("error", map[string]any{"message": err.Error()})
		return err
	}
	defer closeAudio()

	coreCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig, err := sip.New(coreCtx, sip.Config{Listen: o.Listen, Logger: log, Trace: o.Trace, Codecs: o.Codecs,
		KeepAlive: time.Duration(o.KeepAlive) * time.Second, InstanceID: instanceID(),
		DirectIP: acct == nil})
	if err != nil {
		out.Emit("error", map[string]any{"message": err.Error()})
		return err
	}
	core := phone.New(phone.Config{Signaler: withWebRTC(sig, log, o.Codecs, instanceID()), Audio: au, Logger: log, AutoAnswer: o.AutoAnswer,
		Ringback:   func(f audio.Format) audio.Source { return tone.NewRingback(f, tone.RingbackNorthAmerica) },
		StatsEvery: time.Duration(o.StatsEvery) * time.Second,
		RecordDir:  o.RecordDir, OpenRecorder: openRecorder})
	corePtr.Store(core)
	done := make(chan error, 1)
	go func() { done <- core.Run(coreCtx) }()

	password := ""
	if acct != nil {
		password = cli.Password(acct.ID, keyringLookup)
	}
	err = cli.Run(ctx, core, acct, password, in, out, log)
	// Hang up, unregister (bounded inside Run) and stop.
	cancel()
	select {
	case <-done:
	case <-time.After(8 * time.Second):
		log.Warn("phone core did not stop in time")
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// buildGUICore builds the phone for the window from the saved settings: the
// SIP stack on the configured listen address and RTP ports, the chosen
// sound devices (or silence, with a warning, when none can be opened), the
// echo test with its level meter, the device list for the Audio settings,
// and the SIP trace ring for the trace viewer.
//
// The SIP trace is always on, into a ring of app.DefaultTraceSize redacted
// messages: SIP is a few messages per registration refresh or call, so the
// cost (one redacted copy per message) is negligible next to the media,
// and support gets the messages of a failure that already happened when
// the agent opens the viewer. Only SWITCHBOARD_SIP_TRACE=1 also writes them
// to stderr.
func buildGUICore(ctx context.Context, st app.Settings) (guiCore, error) {
	// SWITCHBOARD_SIP_TRACE=1 logs every SIP message (Authorization
	// redacted) at debug level, so it turns debug logging on too.
	trace := os.Getenv("SWITCHBOARD_SIP_TRACE") != ""
	traceBuf := app.NewTraceBuffer(newLogger(os.Stderr, trace || os.Getenv("SWITCHBOARD_DEBUG") != "").Handler(), app.DefaultTraceSize)
	log := slog.New(traceBuf)
	var au phone.Audio
	var corePtr atomic.Pointer[phone.Phone] // for device-loss reports from the sound device
	meter := &levelMeters{}
	devs := deviceAudio{log: log}
	dev, err := device.Open(ctx, device.Config{CaptureID: st.InputDevice, PlaybackID: st.OutputDevice,
		Format: audio.Mono48k, Logger: log, OnLost: func(l device.Lost) { reportLost(&corePtr, l) }})
	if err != nil {
		log.Warn("no sound device; calls will be silent", "err", err)
	} else {
		// Support logs (and the Windows smoke test) look for this line.
		capID, playID := dev.Devices()
		log.Info("sound device open", "capture", cmp.Or(capID, "default"), "playback", cmp.Or(playID, "default"))
		go func() { <-ctx.Done(); dev.Close() }()
		gained := newGainedAudio(dev, st.MicGain, st.SpeakerVolume)
		devs.gains = gained.SetGains
		processed := newProcessedAudio(ctx, gained, !st.EchoCancelOff, !st.NoiseSuppressionOff, log)
		if pa, ok := processed.(*processedAudio); ok {
			devs.processing = pa.SetProcessing
		}
		au = meteredAudio{Audio: processed, m: meter}
		devs.open, devs.openID = dev, st.OutputDevice
	}
	listen := st.ListenAddr
	if listen == "" {
		listen = "0.0.0.0:5060"
	}
	sipCfg := sip.Config{Listen: listen, Codecs: st.Codecs, InstanceID: st.InstanceID, Logger: log, Trace: true,
		RTPPortMin: st.RTPPortMin, RTPPortMax: st.RTPPortMax, STUNServer: st.STUN}
	sig, err := sip.New(ctx, sipCfg)
	if err != nil && listen != "0.0.0.0:0" {
		// Port taken (another softphone?): take any free port rather than fail.
		log.Warn("SIP port busy, using a free one", "listen", listen, "err", err)
		sipCfg.Listen = "0.0.0.0:0"
		sig, err = sip.New(ctx, sipCfg)
	}
	var signaler phone.Signaler
	if err != nil {
		// Still open the window (settings, history, echo test), with every
		// account saying why it cannot register.
		log.Error("SIP unavailable", "err", err)
		signaler = phone.Offline{Err: err}
	} else {
		signaler = withWebRTC(sig, log, st.Codecs, st.InstanceID)
	}
	// A ringer device other than the call speaker rings through runRinger
	// instead of the core's ringtone (which plays on the call speaker).
	ringtone := func(f audio.Format) audio.Source { return tone.NewRingtone(f) }
	ownRinger := st.RingerDevice != "" && st.RingerDevice != st.OutputDevice
	if ownRinger {
		ringtone = nil
	}
	core := phone.New(phone.Config{Signaler: signaler, Audio: au, Logger: log,
		Ringback:   func(f audio.Format) audio.Source { return tone.NewRingback(f, tone.RingbackNorthAmerica) },
		Ringtone:   ringtone,
		StatsEvery: 5 * time.Second,
		RecordDir:  cli.DefaultRecordDir(), OpenRecorder: openRecorder})
	corePtr.Store(core)
	if sw, ok := any(core).(liveSwitcher); ok {
		devs.switchTo = sw.SwitchAudioDevice
	}
	if ownRinger {
		var fallback audio.Sink
		if au != nil {
			fallback = au.Sink()
		}
		go runRinger(ctx, core, st.RingerDevice, fallback, log)
	}
	echo := func(ctx context.Context) error {
		if au == nil {
			return errors.New("no sound device for the echo test")
		}
		// The whole call pipeline: mic -> Opus encoder -> jitter buffer ->
		// decoder -> speaker.
		return media.EchoTest(ctx, resample.NewSource(au.Source(), audio.Mono48k),
			resample.NewSink(au.Sink(), audio.Mono48k), "opus")
	}
	return guiCore{Phone: core, Echo: echo, Audio: devs, Levels: meter, Trace: traceBuf}, nil
}

// withWebRTC puts the WebRTC backend (ws/wss accounts) beside the plain
// SIP signaler: phone.Router dispatches by account transport.
func withWebRTC(plain *sip.Signaler, log *slog.Logger, codecs []string, instance string) phone.Signaler {
	var wc []string
	for _, c := range codecs { // WebRTC speaks Opus and G.711 only
		switch strings.ToUpper(c) {
		case "OPUS", "PCMU", "PCMA":
			wc = append(wc, c)
		}
	}
	return phone.Router{Plain: plain, WebRTC: webrtc.New(webrtc.Config{InstanceID: instance, Logger: log, Codecs: wc})}
}
