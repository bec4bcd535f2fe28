// Command switchboard is a desktop softphone. With no arguments it opens the
// window; "switchboard cli" runs the headless front end (see app/cli).
//
// main.go is the composition root: the only place that sees every layer
// (phone core, SIP backend, sound device, keyring, UI).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"switchboard/app"
	"switchboard/app/cli"
	"switchboard/audio"
	"switchboard/audio/device"
	"switchboard/audio/resample"
	"switchboard/audio/tone"
	"switchboard/audio/wavfile"
	"switchboard/phone"
	"switchboard/phone/media"
	"switchboard/phone/sip"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "cli" {
		err = runCLI(ctx, os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = runGUI(ctx, newLogger(os.Stderr, os.Getenv("SWITCHBOARD_DEBUG") != ""), buildGUICore)
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
func openCLIAudio(ctx context.Context, o cli.Options, log *slog.Logger) (phone.Audio, func(), error) {
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
		st, err := device.Open(ctx, device.Config{Format: audio.Mono48k, Null: o.NullAudio, Logger: log})
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
		if a.src == nil {
			a.src = st.Source()
		}
		if a.sink == nil {
			a.sink = st.Sink()
		}
	}
	return a, closeAll, nil
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
	au, closeAudio, err := openCLIAudio(ctx, o, log)
	if err != nil {
		out.Emit("error", map[string]any{"message": err.Error()})
		return err
	}
	defer closeAudio()

	coreCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig, err := sip.New(coreCtx, sip.Config{Listen: o.Listen, Logger: log, Trace: o.Trace,
		KeepAlive: time.Duration(o.KeepAlive) * time.Second, InstanceID: instanceID(),
		DirectIP: acct == nil})
	if err != nil {
		out.Emit("error", map[string]any{"message": err.Error()})
		return err
	}
	core := phone.New(phone.Config{Signaler: sig, Audio: au, Logger: log, AutoAnswer: o.AutoAnswer,
		Ringback:   func(f audio.Format) audio.Source { return tone.NewRingback(f, tone.RingbackNorthAmerica) },
		StatsEvery: time.Duration(o.StatsEvery) * time.Second})
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
// SIP stack on the configured listen address, the chosen sound devices (or
// silence, with a warning, when none can be opened), and the echo test.
func buildGUICore(ctx context.Context, st app.Settings) (guiCore, error) {
	// SWITCHBOARD_SIP_TRACE=1 logs every SIP message (Authorization
	// redacted) at debug level, so it turns debug logging on too.
	trace := os.Getenv("SWITCHBOARD_SIP_TRACE") != ""
	log := newLogger(os.Stderr, trace || os.Getenv("SWITCHBOARD_DEBUG") != "")
	var au phone.Audio
	dev, err := device.Open(ctx, device.Config{CaptureID: st.InputDevice, PlaybackID: st.OutputDevice,
		Format: audio.Mono48k, Logger: log})
	if err != nil {
		log.Warn("no sound device; calls will be silent", "err", err)
	} else {
		go func() { <-ctx.Done(); dev.Close() }()
		au = dev
	}
	listen := st.ListenAddr
	if listen == "" {
		listen = "0.0.0.0:5060"
	}
	sig, err := sip.New(ctx, sip.Config{Listen: listen, Codecs: st.Codecs, InstanceID: st.InstanceID, Logger: log, Trace: trace})
	if err != nil && listen != "0.0.0.0:0" {
		// Port taken (another softphone?): take any free port rather than fail.
		log.Warn("SIP port busy, using a free one", "listen", listen, "err", err)
		sig, err = sip.New(ctx, sip.Config{Listen: "0.0.0.0:0", Codecs: st.Codecs, InstanceID: st.InstanceID, Logger: log, Trace: trace})
	}
	if err != nil {
		return guiCore{}, err
	}
	core := phone.New(phone.Config{Signaler: sig, Audio: au, Logger: log,
		Ringback:   func(f audio.Format) audio.Source { return tone.NewRingback(f, tone.RingbackNorthAmerica) },
		Ringtone:   func(f audio.Format) audio.Source { return tone.NewRingtone(f) },
		StatsEvery: 5 * time.Second})
	echo := func(ctx context.Context) error {
		if au == nil {
			return errors.New("no sound device for the echo test")
		}
		// The whole call pipeline: mic -> Opus encoder -> jitter buffer ->
		// decoder -> speaker.
		return media.EchoTest(ctx, resample.NewSource(au.Source(), audio.Mono48k),
			resample.NewSink(au.Sink(), audio.Mono48k), "opus")
	}
	return guiCore{Phone: core, Echo: echo}, nil
}
