package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"switchboard/app"
	"switchboard/app/keyring"
	"switchboard/audio"
	"switchboard/audio/device"
	"switchboard/audio/tone"
	"switchboard/phone"
	"switchboard/ui"
)

// appID is the Fyne app ID (preferences location, keyring service, desktop file).
const appID = "io.switchboard.app"

// guiCore is what main builds for the GUI once the settings are loaded.
type guiCore struct {
	// Phone is the core; runGUI runs its loop (Run) for the app's lifetime.
	Phone *phone.Phone
	// Echo runs an echo test until ctx ends (nil: the button reports that
	// no echo test is available).
	Echo func(ctx context.Context) error
	// Audio lists the sound devices and plays the speaker test for the
	// Audio settings (nil: the pickers say device choice is unavailable).
	Audio ui.AudioSystem
	// Levels is the microphone level for the echo test's meter (nil: no
	// meter).
	Levels ui.LevelSource
	// Trace is the ring of recent redacted SIP messages the SIP trace
	// viewer shows (nil: no viewer).
	Trace *app.TraceBuffer
}

// runGUI runs the desktop app until its window closes or ctx ends. It
// creates the Fyne app and loads the settings from its preferences, then
// calls newCore with them (the settings carry the accounts, devices, listen
// address and InstanceID main needs to build the phone; newCore must only
// build, not block), opens the system keyring (falling back to memory with a
// visible notice), runs the phone loop and the window, and on quit cancels
// the phone and waits a few seconds for it to hang up and unregister.
//
// l carries the command-line link and the single-instance server (see
// launch.go); the zero desktopLaunch is a plain start.
func runGUI(ctx context.Context, log *slog.Logger, newCore func(ctx context.Context, st app.Settings) (guiCore, error), l desktopLaunch) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "gui")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	a := fyneapp.NewWithID(appID)
	a.SetIcon(ui.Icon())
	keyring.SetAppDir(a.Storage().RootURI().Path()) // Android's secret store lives there
	prefs := a.Preferences()
	st, loadErr := app.Load(prefs)
	if loadErr != nil {
		log.Warn("settings", "err", loadErr)
	}
	hist, err := app.LoadHistory(prefs)
	if err != nil {
		log.Warn("call history", "err", err)
	}
	contacts, err := app.LoadContacts(prefs)
	if err != nil {
		log.Warn("contacts", "err", err)
	}

	core, err := newCore(ctx, st)
	if err == nil && core.Phone == nil {
		err = errors.New("no phone")
	}
	if err != nil {
		err = fmt.Errorf("start phone: %w", err)
		log.Error("cannot start", "err", err)
		showStartError(ctx, a, err)
		return err
	}

	var secrets app.SecretStore = keyring.New()
	banner := ""
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	if err := keyring.Probe(pctx); err != nil {
		log.Warn("no system keyring, passwords kept in memory", "err", err)
		secrets = app.NewMemStore()
		banner = "No system keyring found: passwords are kept for this run only."
	}
	pcancel()
	switch {
	case errors.Is(loadErr, app.ErrSettingsUnreadable):
		banner = joinLines(banner, "Your saved settings could not be read; defaults are in use (the old ones were kept aside).")
	case errors.Is(loadErr, app.ErrSettingsTooNew):
		banner = joinLines(banner, "Your settings were saved by a newer Switchboard; some options may be ignored.")
	}

	runDone := make(chan error, 1)
	go func() { runDone <- core.Phone.Run(ctx) }()
	if log.Enabled(ctx, slog.LevelDebug) {
		go logEvents(ctx, log, core.Phone)
	}

	w := a.NewWindow("Switchboard")
	w.SetIcon(ui.Icon())
	w.SetMaster()
	size := fyne.NewSize(440, 780)
	if st.Window.Valid() {
		size = fyne.NewSize(st.Window.Width, st.Window.Height)
	}
	w.Resize(size)
	save := func(s app.Settings) {
		if err := app.Save(prefs, s); err != nil {
			log.Error("save settings", "err", err)
		}
	}
	saveHist := func(h app.History) {
		if err := app.SaveHistory(prefs, h); err != nil {
			log.Error("save call history", "err", err)
		}
	}
	saveContacts := func(c app.Contacts) {
		if err := app.SaveContacts(prefs, c); err != nil {
			log.Error("save contacts", "err", err)
		}
	}
	opts := []ui.Option{ui.WithHistory(hist, saveHist), ui.WithContacts(contacts, saveContacts)}
	if core.Audio != nil {
		opts = append(opts, ui.WithAudio(core.Audio))
	}
	if core.Levels != nil {
		opts = append(opts, ui.WithLevels(core.Levels))
	}
	if core.Trace != nil {
		opts = append(opts, ui.WithTrace(core.Trace))
	}
	// Notifications and the tray talk to D-Bus on Linux; with no session
	// bus godbus would autolaunch one (and daemons that outlive us), so
	// both are only used when a bus is already there.
	busErr := keyring.SessionBus()
	if busErr == nil {
		opts = append(opts, ui.WithNotifier(func(title, body string) {
			// A synchronous D-Bus call (it may wait for a notification
			// daemon to start): keep it off the Fyne goroutine.
			go a.SendNotification(fyne.NewNotification(title, body))
		}))
	} else {
		log.Info("no desktop notifications or tray", "reason", busErr)
	}
	u := ui.New(w, guiController{Phone: core.Phone, echo: core.Echo}, &st, secrets, save, opts...)
	u.SetBanner(banner)
	if busErr == nil && u.SetupTray(a) {
		log.Debug("system tray installed")
	}
	u.Start(ctx)
	l.start(ctx, log, core.Phone, st, u)

	// Quit when the caller cancels ctx (signal, cli command).
	a.Lifecycle().SetOnStarted(func() {
		go func() {
			<-ctx.Done()
			fyne.Do(func() {
				u.RememberWindowSize()
				a.Quit()
			})
		}()
	})
	w.ShowAndRun()

	cancel()
	select {
	case err := <-runDone:
		return err
	case <-time.After(5 * time.Second):
		log.Warn("phone did not stop within 5 s")
		return nil
	}
}

// showStartError shows why the phone could not start in a window of its
// own until the user closes it or ctx ends: a GUI build on Windows has no
// console, so an error only on stderr would look like a silent crash.
func showStartError(ctx context.Context, a fyne.App, err error) {
	w := a.NewWindow("Switchboard")
	w.SetIcon(ui.Icon())
	msg := widget.NewLabel("Switchboard could not start:\n\n" + err.Error() +
		"\n\nAnother program may be using the network port, or a firewall may block it.")
	msg.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewBorder(nil, widget.NewButton("Quit", a.Quit), nil, nil, msg))
	w.Resize(fyne.NewSize(440, 260))
	a.Lifecycle().SetOnStarted(func() {
		go func() {
			<-ctx.Done()
			fyne.Do(a.Quit)
		}()
	})
	w.ShowAndRun()
}

// logEvents logs every phone event at debug level (support logs, and the
// end-to-end test follows them). Events carry no secrets.
func logEvents(ctx context.Context, log *slog.Logger, p *phone.Phone) {
	_, events := p.Subscribe(ctx)
	for ev := range events {
		attrs := []any{"event", string(ev.Kind)}
		if c := ev.Call; c != nil {
			attrs = append(attrs, "call", string(c.ID), "state", c.State.String(), "peer", c.Peer)
			if c.Cause != "" {
				attrs = append(attrs, "cause", string(c.Cause))
			}
		}
		if r := ev.Reg; r != nil {
			attrs = append(attrs, "account", r.AccountID, "reason", r.Reason)
		}
		if ev.Message != "" {
			attrs = append(attrs, "message", ev.Message)
		}
		log.Debug("phone event", attrs...)
	}
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// guiController is the ui.Controller: the phone plus main's echo test.
type guiController struct {
	*phone.Phone
	echo func(ctx context.Context) error
}

// EchoTest implements ui.Controller.
func (c guiController) EchoTest(ctx context.Context) error {
	if c.echo == nil {
		return errors.New("no echo test is available in this build")
	}
	return c.echo(ctx)
}

var _ ui.Controller = guiController{}

// deviceAudio is the ui.AudioSystem over audio/device. open is the stream
// the phone uses (nil when none opened) and openID its playback device ID.
type deviceAudio struct {
	open   *device.Stream
	openID string
	log    *slog.Logger
	// switchTo moves the phone's microphone (capture) or speaker to
	// another device at once (the core's SwitchAudioDevice); nil: the
	// choice applies at the next start.
	switchTo func(capture bool, id string) error
	// processing switches echo cancellation and noise suppression at once
	// (nil: not available).
	processing func(echo, noise bool)
	// gains sets the microphone gain and speaker volume in percent (nil:
	// not available).
	gains func(micPct, spkPct int)
}

// SetGains implements ui.AudioGains.
func (d deviceAudio) SetGains(micPct, spkPct int) bool {
	if d.gains == nil {
		return false
	}
	d.gains(micPct, spkPct)
	return true
}

// SetProcessing implements ui.AudioProcessing.
func (d deviceAudio) SetProcessing(echo, noise bool) bool {
	if d.processing == nil {
		return false
	}
	d.processing(echo, noise)
	return true
}

// SwitchDevice implements ui.AudioSwitcher.
func (d deviceAudio) SwitchDevice(capture bool, id string) error {
	if d.switchTo == nil || d.open == nil {
		return errNoSwitch
	}
	return d.switchTo(capture, id)
}

// liveSwitcher is the core's in-place device switch, looked up
// dynamically so main builds with or without it.
type liveSwitcher interface {
	SwitchAudioDevice(capture bool, id string) error
}

// Devices implements ui.AudioSystem with device.List.
func (d deviceAudio) Devices(ctx context.Context) (inputs, outputs []ui.AudioDevice, err error) {
	capture, playback, err := device.List(ctx, false)
	conv := func(in []device.Info) []ui.AudioDevice {
		out := make([]ui.AudioDevice, 0, len(in))
		for _, i := range in {
			out = append(out, ui.AudioDevice{ID: i.ID, Name: i.Name, Default: i.IsDefault})
		}
		return out
	}
	return conv(capture), conv(playback), err
}

// speakerTestTone is what Test speaker plays: two short beeps, 440 then
// 660 Hz.
var speakerTestTone = []tone.Segment{
	{Hz: []float64{440}, Dur: 300 * time.Millisecond}, {Dur: 100 * time.Millisecond},
	{Hz: []float64{660}, Dur: 300 * time.Millisecond},
}

// TestSpeaker implements ui.AudioSystem: it plays speakerTestTone on the
// phone's open stream when outputID is its device, else on a stream of its
// own for outputID.
func (d deviceAudio) TestSpeaker(ctx context.Context, outputID string) error {
	st := d.open
	if st == nil || outputID != d.openID {
		var err error
		st, err = device.Open(ctx, device.Config{PlaybackID: outputID, Format: audio.Mono48k, Logger: d.log})
		if err != nil {
			return err
		}
		defer st.Close()
	}
	sink := st.Sink()
	src := tone.NewCadence(sink.Format(), 0.3, false, speakerTestTone...)
	buf := make([]int16, sink.Format().SamplesPer(20))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := sink.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil { // io.EOF: played
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	// Let the device play out what is queued before a private stream closes.
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
	return nil
}

// levelMeter measures the microphone level of the audio it wraps, for the
// echo test's meter. It is safe for concurrent use.
type levelMeter struct {
	level atomic.Uint64 // math.Float64bits of the latest 0..1 level
	at    atomic.Int64  // UnixNano of the latest measurement
}

// Level implements ui.LevelSource: the last block's level mapped from
// -60..0 dBFS to 0..1, or 0 when nothing was captured in the last 300 ms.
func (m *levelMeter) Level() float64 {
	if time.Since(time.Unix(0, m.at.Load())) > 300*time.Millisecond {
		return 0
	}
	return math.Float64frombits(m.level.Load())
}

func (m *levelMeter) measure(p []int16) {
	v := min(max((audio.DBFS(audio.RMS(p))+60)/60, 0), 1)
	m.level.Store(math.Float64bits(v))
	m.at.Store(time.Now().UnixNano())
}

// levelMeters are the microphone and speaker meters of the Audio settings.
type levelMeters struct {
	mic, spk levelMeter
}

// Level implements ui.LevelSource: the microphone.
func (m *levelMeters) Level() float64 { return m.mic.Level() }

// SpeakerLevel implements ui.SpeakerLevelSource.
func (m *levelMeters) SpeakerLevel() float64 { return m.spk.Level() }

// meteredAudio is a phone.Audio whose microphone and speaker feed meters.
type meteredAudio struct {
	phone.Audio
	m *levelMeters
}

// Source implements phone.Audio.
func (a meteredAudio) Source() audio.Source { return meteredSource{a.Audio.Source(), &a.m.mic} }

// Sink implements phone.Audio.
func (a meteredAudio) Sink() audio.Sink { return meteredSink{a.Audio.Sink(), &a.m.spk} }

type meteredSink struct {
	audio.Sink
	m *levelMeter
}

func (s meteredSink) Write(p []int16) (int, error) {
	if len(p) > 0 {
		s.m.measure(p)
	}
	return s.Sink.Write(p)
}

// deviceSwitcher is the in-place device switch a sound stream may offer
// (the phone core looks for it on its Audio); meteredAudio passes it on.
type deviceSwitcher interface {
	SwitchCapture(ctx context.Context, id string) error
	SwitchPlayback(ctx context.Context, id string) error
}

var errNoSwitch = errors.New("this audio cannot switch devices")

// SwitchCapture passes an in-place microphone switch to the wrapped audio.
func (a meteredAudio) SwitchCapture(ctx context.Context, id string) error {
	if sw, ok := a.Audio.(deviceSwitcher); ok {
		return sw.SwitchCapture(ctx, id)
	}
	return errNoSwitch
}

// SwitchPlayback passes an in-place speaker switch to the wrapped audio.
func (a meteredAudio) SwitchPlayback(ctx context.Context, id string) error {
	if sw, ok := a.Audio.(deviceSwitcher); ok {
		return sw.SwitchPlayback(ctx, id)
	}
	return errNoSwitch
}

type meteredSource struct {
	audio.Source
	m *levelMeter
}

func (s meteredSource) Read(p []int16) (int, error) {
	n, err := s.Source.Read(p)
	if n > 0 {
		s.m.measure(p[:n])
	}
	return n, err
}

// ringerWanted reports whether the ringtone should sound: a call rings and
// none has the microphone (the core's own rule: no ring over a call).
func ringerWanted(s phone.Snapshot) bool {
	if s.Active != "" {
		return false
	}
	for _, c := range s.Calls {
		if c.State == phone.StateIncoming {
			return true
		}
	}
	return false
}

// runRinger plays the ringtone on the ringer device (app.Settings
// RingerDevice) while ringerWanted holds, for as long as ctx lasts. main
// uses it instead of the core's ringtone when the ringer is not the call
// speaker. fallback (nil: none) gets the ringtone when the ringer device
// cannot be opened.
func runRinger(ctx context.Context, p *phone.Phone, deviceID string, fallback audio.Sink, log *slog.Logger) {
	snap, events := p.Subscribe(ctx)
	var stop context.CancelFunc
	update := func(s phone.Snapshot) {
		switch want := ringerWanted(s); {
		case want && stop == nil:
			var rctx context.Context
			rctx, stop = context.WithCancel(ctx)
			go playRingtone(rctx, deviceID, fallback, log)
		case !want && stop != nil:
			stop()
			stop = nil
		}
	}
	update(snap)
	for range events {
		update(p.Snapshot())
	}
	if stop != nil {
		stop()
	}
}

// playRingtone plays tone.NewRingtone on the playback device deviceID
// until ctx ends, or on fallback when that device cannot be opened.
func playRingtone(ctx context.Context, deviceID string, fallback audio.Sink, log *slog.Logger) {
	sink := fallback
	st, err := device.Open(ctx, device.Config{PlaybackID: deviceID, Format: audio.Mono48k, Logger: log})
	if err != nil {
		log.Warn("ringer device unavailable, ringing on the speaker", "device", deviceID, "err", err)
	} else {
		defer st.Close()
		sink = st.Sink()
	}
	if sink == nil {
		return
	}
	src := tone.NewRingtone(sink.Format())
	buf := make([]int16, sink.Format().SamplesPer(20))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for first := true; ; first = false {
		// Keep about 40 ms queued: one extra block up front.
		for range 1 + btoi(first) {
			n, err := src.Read(buf)
			if n > 0 {
				_, _ = sink.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
