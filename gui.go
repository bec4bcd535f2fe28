package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"switchboard/app"
	"switchboard/app/keyring"
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
}

// runGUI runs the desktop app until its window closes or ctx ends. It
// creates the Fyne app and loads the settings from its preferences, then
// calls newCore with them (the settings carry the accounts, devices, listen
// address and InstanceID main needs to build the phone; newCore must only
// build, not block), opens the system keyring (falling back to memory with a
// visible notice), runs the phone loop and the window, and on quit cancels
// the phone and waits a few seconds for it to hang up and unregister.
func runGUI(ctx context.Context, log *slog.Logger, newCore func(ctx context.Context, st app.Settings) (guiCore, error)) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "gui")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	a := fyneapp.NewWithID(appID)
	a.SetIcon(ui.Icon())
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
	if err != nil {
		return fmt.Errorf("start phone: %w", err)
	}
	if core.Phone == nil {
		return errors.New("start phone: no phone")
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
	u := ui.New(w, guiController{Phone: core.Phone, echo: core.Echo}, &st, secrets, save,
		ui.WithHistory(hist, saveHist), ui.WithContacts(contacts, saveContacts))
	u.SetBanner(banner)
	u.Start(ctx)

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
